"""Graph problems of the sample: BFS, DFS, union-find, Dijkstra, topological order."""

from __future__ import annotations

from tools.build_sample._model import Lcg, Problem, code, lines, text

_rng = Lcg(6006)


def _random_edges(n: int, m: int, weights: tuple[int, int] | None = None) -> str:
    rows = []
    for _ in range(m):
        u, v = _rng.randint(1, n), _rng.randint(1, n)
        while v == u:
            v = _rng.randint(1, n)
        rows.append(f"{u} {v}" if weights is None else f"{u} {v} {_rng.randint(*weights)}")
    return lines(f"{n} {m}", *rows)


def _chain(n: int) -> str:
    return lines(f"{n} {n - 1}", *(f"{i} {i + 1}" for i in range(1, n)))


COMPONENTS = Problem(
    slug="count_components",
    description=text(
        """
        An undirected graph has n vertices and m edges. Print the number of its
        connected components (an isolated vertex is a component of its own).

        Input

        The first line contains n and m (1 ≤ n ≤ 10^5, 0 ≤ m ≤ 10^5). Each of the next
        m lines contains two integers u and v (1 ≤ u, v ≤ n), an edge; loops and
        repeated edges may occur.

        Output

        Print the number of connected components.
        """
    ),
    public_tests=[("5 3\n1 2\n2 3\n4 5\n", "2\n"), ("3 0\n", "3\n")],
    private_tests=[
        ("1 0\n", "1\n"),
        ("4 4\n1 2\n2 3\n3 1\n1 2\n", "2\n"),
        ("3 2\n2 2\n1 3\n", "2\n"),
        (_chain(3000), "1\n"),
        (_random_edges(5000, 3500), None),
    ],
    correct=[
        code(
            r"""
            import sys


            def main():
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                parent = list(range(n + 1))

                def find(x):
                    root = x
                    while parent[root] != root:
                        root = parent[root]
                    while parent[x] != root:
                        parent[x], x = root, parent[x]
                    return root

                components = n
                for i in range(m):
                    a = find(int(data[2 + 2 * i]))
                    b = find(int(data[3 + 2 * i]))
                    if a != b:
                        parent[a] = b
                        components -= 1
                print(components)


            main()
            """
        ),
        code(
            r"""
            from collections import deque

            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v = map(int, input().split())
                adj[u].append(v)
                adj[v].append(u)
            seen = [False] * (n + 1)
            count = 0
            for start in range(1, n + 1):
                if seen[start]:
                    continue
                count += 1
                seen[start] = True
                queue = deque([start])
                while queue:
                    u = queue.popleft()
                    for v in adj[u]:
                        if not seen[v]:
                            seen[v] = True
                            queue.append(v)
            print(count)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v = map(int, input().split())
                adj[u].append(v)
                adj[v].append(u)
            visited = [False] * (n + 1)


            def dfs(u):
                visited[u] = True
                for v in adj[u]:
                    if not visited[v]:
                        dfs(v)


            count = 0
            for u in range(1, n + 1):
                if not visited[u]:
                    dfs(u)
                    count += 1
            print(count)
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            print(n - m)
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            parent = {}


            def find(x):
                while parent[x] != x:
                    x = parent[x]
                return x


            for _ in range(m):
                u, v = map(int, input().split())
                parent.setdefault(u, u)
                parent.setdefault(v, v)
                ru, rv = find(u), find(v)
                if ru != rv:
                    parent[ru] = rv
            print(len({find(x) for x in parent}))
            """
        ),
    ],
    tags=["dfs and similar", "dsu", "graphs"],
    rating=1000,
)


def _maze(rows: int, cols: int, walls: int) -> str:
    cells = [["."] * cols for _ in range(rows)]
    for _ in range(walls):
        cells[_rng.randint(0, rows - 1)][_rng.randint(0, cols - 1)] = "#"
    cells[0][0], cells[rows - 1][cols - 1] = "S", "T"
    return lines(f"{rows} {cols}", *("".join(row) for row in cells))


def _snake(rows: int, cols: int) -> str:
    cells = [["."] * cols for _ in range(rows)]
    for r in range(1, rows, 2):
        for c in range(cols):
            cells[r][c] = "#"
        cells[r][cols - 1 if r % 4 == 1 else 0] = "."
    cells[0][0], cells[rows - 1][cols - 1] = "S", "T"
    return lines(f"{rows} {cols}", *("".join(row) for row in cells))


GRID_ESCAPE = Problem(
    slug="grid_escape",
    description=text(
        """
        A maze is an n × m grid of cells: '.' is free, '#' is a wall, 'S' is the start
        and 'T' is the target (both free). In one move you go to a side-adjacent free
        cell; you cannot leave the grid. Print the minimum number of moves from S to T,
        or -1 if T cannot be reached.

        Input

        The first line contains n and m (1 ≤ n, m ≤ 300, n · m ≥ 2). Each of the next n
        lines contains m characters; there is exactly one S and exactly one T.

        Output

        Print the length of a shortest path or -1.
        """
    ),
    public_tests=[("3 4\nS..#\n.#..\n...T\n", "5\n"), ("2 2\nS#\n#T\n", "-1\n")],
    private_tests=[
        ("1 2\nST\n", "1\n"),
        ("5 1\nS\n.\n.\n.\nT\n", "4\n"),
        ("3 3\nS.#\n.#.\n#.T\n", "-1\n"),
        ("2 5\nS...T\n.....\n", "4\n"),
        ("4 5\nS....\n.###.\n.....\nT....\n", "3\n"),
        ("4 4\n....\n.S..\n....\n...T\n", "4\n"),
        (_snake(99, 300), None),
        (_maze(150, 200, 7000), None),
    ],
    correct=[
        code(
            r"""
            import sys
            from collections import deque

            data = sys.stdin.read().split()
            n, m = int(data[0]), int(data[1])
            grid = data[2 : 2 + n]
            for r in range(n):
                for c in range(m):
                    if grid[r][c] == "S":
                        start = (r, c)
            dist = [[-1] * m for _ in range(n)]
            dist[start[0]][start[1]] = 0
            queue = deque([start])
            answer = -1
            while queue:
                r, c = queue.popleft()
                if grid[r][c] == "T":
                    answer = dist[r][c]
                    break
                for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    nr, nc = r + dr, c + dc
                    if 0 <= nr < n and 0 <= nc < m and grid[nr][nc] != "#" and dist[nr][nc] < 0:
                        dist[nr][nc] = dist[r][c] + 1
                        queue.append((nr, nc))
            print(answer)
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            walls = set()
            for r in range(n):
                row = input()
                for c, ch in enumerate(row):
                    if ch == "#":
                        walls.add((r, c))
                    elif ch == "S":
                        source = (r, c)
                    elif ch == "T":
                        target = (r, c)
            frontier = [source]
            visited = {source}
            steps = 0
            result = -1
            while frontier:
                if target in visited:
                    result = steps
                    break
                nxt = []
                for r, c in frontier:
                    for cell in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                        if cell in visited or cell in walls:
                            continue
                        if 0 <= cell[0] < n and 0 <= cell[1] < m:
                            visited.add(cell)
                            nxt.append(cell)
                frontier = nxt
                steps += 1
            print(result)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from collections import deque

            n, m = map(int, input().split())
            grid = [input() for _ in range(n)]
            sr = sc = 0
            for i in range(n):
                if "S" in grid[i]:
                    sr, sc = i, grid[i].index("S")
            dist = {(sr, sc): 0}
            q = deque([(sr, sc)])
            while q:
                r, c = q.popleft()
                for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                    if nr < n and nc < m and grid[nr][nc] != "#" and (nr % n, nc % m) not in dist:
                        dist[(nr % n, nc % m)] = dist[(r, c)] + 1
                        q.append((nr % n, nc % m))
            tr = next(i for i in range(n) if "T" in grid[i])
            print(dist.get((tr, grid[tr].index("T")), -1))
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            grid = [input() for _ in range(n)]
            for i in range(n):
                for j in range(m):
                    if grid[i][j] == "S":
                        start = (i, j)
            dist = {start: 0}
            stack = [start]
            while stack:
                r, c = stack.pop()
                for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                    if 0 <= nr < n and 0 <= nc < m and grid[nr][nc] != "#" and (nr, nc) not in dist:
                        dist[(nr, nc)] = dist[(r, c)] + 1
                        stack.append((nr, nc))
            answer = -1
            for (r, c), d in dist.items():
                if grid[r][c] == "T":
                    answer = d
            print(answer)
            """
        ),
    ],
    tags=["graphs", "shortest paths", "dfs and similar"],
    rating=1200,
)

BFS_DISTANCES = Problem(
    slug="bfs_distances",
    description=text(
        """
        An undirected graph has n vertices and m edges, all of length 1. For every
        vertex print its distance from vertex 1, or -1 if it is unreachable.

        Input

        The first line contains n and m (1 ≤ n ≤ 10^5, 0 ≤ m ≤ 10^5). Each of the next
        m lines contains an edge u v (1 ≤ u, v ≤ n, u ≠ v).

        Output

        Print n integers separated by spaces: the distances of vertices 1, 2, ..., n.
        """
    ),
    public_tests=[("4 4\n1 2\n1 3\n2 4\n3 4\n", "0 1 1 2\n"), ("3 1\n2 3\n", "0 -1 -1\n")],
    private_tests=[
        ("1 0\n", "0\n"),
        ("5 5\n1 2\n2 3\n3 4\n4 5\n1 5\n", "0 1 2 2 1\n"),
        ("4 3\n2 1\n3 2\n4 3\n", "0 1 2 3\n"),
        (_random_edges(2000, 1500), None),
        (_random_edges(3000, 3000), None),
    ],
    correct=[
        code(
            r"""
            import sys
            from collections import deque

            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            adj = [[] for _ in range(n + 1)]
            for i in range(m):
                u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                adj[u].append(v)
                adj[v].append(u)
            dist = [-1] * (n + 1)
            dist[1] = 0
            queue = deque([1])
            while queue:
                u = queue.popleft()
                for v in adj[u]:
                    if dist[v] == -1:
                        dist[v] = dist[u] + 1
                        queue.append(v)
            print(" ".join(map(str, dist[1:])))
            """
        ),
        code(
            r"""
            from collections import defaultdict

            n, m = map(int, input().split())
            graph = defaultdict(list)
            for _ in range(m):
                a, b = map(int, input().split())
                graph[a].append(b)
                graph[b].append(a)
            answer = {1: 0}
            level = [1]
            depth = 0
            while level:
                depth += 1
                following = []
                for u in level:
                    for v in graph[u]:
                        if v not in answer:
                            answer[v] = depth
                            following.append(v)
                level = following
            print(*(answer.get(v, -1) for v in range(1, n + 1)))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v = map(int, input().split())
                adj[u].append(v)
                adj[v].append(u)
            dist = [-1] * (n + 1)
            dist[1] = 0
            stack = [1]
            while stack:
                u = stack.pop()
                for v in adj[u]:
                    if dist[v] == -1:
                        dist[v] = dist[u] + 1
                        stack.append(v)
            print(*dist[1:])
            """
        ),
        code(
            r"""
            from collections import deque

            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v = map(int, input().split())
                adj[u].append(v)
            dist = [-1] * (n + 1)
            dist[1] = 0
            q = deque([1])
            while q:
                u = q.popleft()
                for v in adj[u]:
                    if dist[v] == -1:
                        dist[v] = dist[u] + 1
                        q.append(v)
            print(*dist[1:])
            """
        ),
    ],
    tags=["graphs", "shortest paths"],
    rating=1000,
)

BIPARTITE = Problem(
    slug="two_coloring",
    description=text(
        """
        Can the vertices of an undirected graph be coloured black and white so that
        every edge joins vertices of different colours? The graph need not be
        connected, and it may contain loops (an edge from a vertex to itself).

        Input

        The first line contains n and m (1 ≤ n ≤ 10^5, 0 ≤ m ≤ 10^5). Each of the next
        m lines contains an edge u v (1 ≤ u, v ≤ n).

        Output

        Print YES if such a colouring exists and NO otherwise.
        """
    ),
    public_tests=[("3 3\n1 2\n2 3\n3 1\n", "NO\n"), ("4 3\n1 2\n3 4\n1 3\n", "YES\n")],
    private_tests=[
        ("1 0\n", "YES\n"),
        ("6 4\n1 2\n4 5\n5 6\n6 4\n", "NO\n"),
        ("2 1\n1 1\n", "NO\n"),
        (lines("2000 1999", *(f"{i} {i + 1}" for i in range(1, 2000))), "YES\n"),
        (lines("4 4", "1 2", "2 3", "3 4", "4 1"), "YES\n"),
        (_random_edges(4000, 2000), None),
    ],
    correct=[
        code(
            r"""
            import sys
            from collections import deque


            def main():
                data = sys.stdin.buffer.read().split()
                n, m = int(data[0]), int(data[1])
                adj = [[] for _ in range(n + 1)]
                for i in range(m):
                    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                    adj[u].append(v)
                    adj[v].append(u)
                color = [-1] * (n + 1)
                for s in range(1, n + 1):
                    if color[s] != -1:
                        continue
                    color[s] = 0
                    queue = deque([s])
                    while queue:
                        u = queue.popleft()
                        for v in adj[u]:
                            if color[v] == -1:
                                color[v] = color[u] ^ 1
                                queue.append(v)
                            elif color[v] == color[u]:
                                return "NO"
                return "YES"


            print(main())
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            parent = list(range(n + 1))
            parity = [0] * (n + 1)


            def find(x):
                path = []
                while parent[x] != x:
                    path.append(x)
                    x = parent[x]
                for node in reversed(path):
                    if parent[node] != x:
                        parity[node] ^= parity[parent[node]]
                    parent[node] = x
                return x


            ok = True
            for _ in range(m):
                u, v = map(int, input().split())
                ru, rv = find(u), find(v)
                if ru == rv:
                    if parity[u] == parity[v]:
                        ok = False
                else:
                    parent[ru] = rv
                    parity[ru] = parity[u] ^ parity[v] ^ 1
            print("YES" if ok else "NO")
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from collections import deque

            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v = map(int, input().split())
                adj[u].append(v)
                adj[v].append(u)
            color = [-1] * (n + 1)
            color[1] = 0
            q = deque([1])
            ok = True
            while q:
                u = q.popleft()
                for v in adj[u]:
                    if color[v] == -1:
                        color[v] = 1 - color[u]
                        q.append(v)
                    elif color[v] == color[u]:
                        ok = False
            print("YES" if ok else "NO")
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            color = {}
            ok = True
            for _ in range(m):
                u, v = map(int, input().split())
                if u not in color and v not in color:
                    color[u], color[v] = 0, 1
                elif u not in color:
                    color[u] = 1 - color[v]
                elif v not in color:
                    color[v] = 1 - color[u]
                elif color[u] == color[v]:
                    ok = False
            print("YES" if ok else "NO")
            """
        ),
    ],
    tags=["graphs", "dfs and similar", "dsu"],
    rating=1300,
)

DIJKSTRA = Problem(
    slug="cheapest_route",
    description=text(
        """
        A country has n cities and m two-way roads; the i-th road joins cities u_i and
        v_i and takes w_i minutes. Print the shortest travel time from city 1 to city
        n, or -1 if city n cannot be reached.

        Input

        The first line contains n and m (1 ≤ n ≤ 10^5, 0 ≤ m ≤ 10^5). Each of the next
        m lines contains u_i, v_i and w_i (1 ≤ u_i, v_i ≤ n, 1 ≤ w_i ≤ 10^9).

        Output

        Print the minimum total time or -1.
        """
    ),
    public_tests=[("4 4\n1 2 1\n2 4 5\n1 3 2\n3 4 1\n", "3\n"), ("3 1\n1 2 5\n", "-1\n")],
    private_tests=[
        ("1 0\n", "0\n"),
        ("3 2\n1 2 1000000000\n2 3 1000000000\n", "2000000000\n"),
        ("2 2\n1 2 7\n2 1 3\n", "3\n"),
        ("4 4\n1 2 1\n2 3 1\n3 4 1\n1 4 10\n", "3\n"),
        (_random_edges(1500, 3000, (1, 10**9)), None),
        (_random_edges(2000, 2000, (1, 1000)), None),
    ],
    correct=[
        code(
            r"""
            import heapq
            import sys

            data = sys.stdin.buffer.read().split()
            n, m = int(data[0]), int(data[1])
            adj = [[] for _ in range(n + 1)]
            for i in range(m):
                u, v, w = int(data[2 + 3 * i]), int(data[3 + 3 * i]), int(data[4 + 3 * i])
                adj[u].append((v, w))
                adj[v].append((u, w))
            INF = float("inf")
            dist = [INF] * (n + 1)
            dist[1] = 0
            heap = [(0, 1)]
            while heap:
                d, u = heapq.heappop(heap)
                if d > dist[u]:
                    continue
                for v, w in adj[u]:
                    if d + w < dist[v]:
                        dist[v] = d + w
                        heapq.heappush(heap, (dist[v], v))
            print(dist[n] if dist[n] != INF else -1)
            """
        ),
        code(
            r"""
            from heapq import heappop, heappush

            n, m = map(int, input().split())
            graph = {}
            for _ in range(m):
                u, v, w = map(int, input().split())
                graph.setdefault(u, []).append((w, v))
                graph.setdefault(v, []).append((w, u))
            done = set()
            best = {1: 0}
            pq = [(0, 1)]
            answer = -1
            while pq:
                d, u = heappop(pq)
                if u in done:
                    continue
                done.add(u)
                if u == n:
                    answer = d
                    break
                for w, v in graph.get(u, []):
                    if v not in done and d + w < best.get(v, d + w + 1):
                        best[v] = d + w
                        heappush(pq, (d + w, v))
            print(answer)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from collections import deque

            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v, w = map(int, input().split())
                adj[u].append((v, w))
                adj[v].append((u, w))
            dist = [-1] * (n + 1)
            dist[1] = 0
            q = deque([1])
            while q:
                u = q.popleft()
                for v, w in adj[u]:
                    if dist[v] == -1:
                        dist[v] = dist[u] + w
                        q.append(v)
            print(dist[n])
            """
        ),
        code(
            r"""
            import heapq

            INF = 10**9
            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v, w = map(int, input().split())
                adj[u].append((v, w))
                adj[v].append((u, w))
            dist = [INF] * (n + 1)
            dist[1] = 0
            heap = [(0, 1)]
            while heap:
                d, u = heapq.heappop(heap)
                if d > dist[u]:
                    continue
                for v, w in adj[u]:
                    if d + w < dist[v]:
                        dist[v] = d + w
                        heapq.heappush(heap, (dist[v], v))
            print(dist[n] if dist[n] < INF else -1)
            """
        ),
        code(
            r"""
            import heapq

            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            for _ in range(m):
                u, v, w = map(int, input().split())
                adj[u].append((v, w))
            dist = [None] * (n + 1)
            heap = [(0, 1)]
            while heap:
                d, u = heapq.heappop(heap)
                if dist[u] is not None:
                    continue
                dist[u] = d
                for v, w in adj[u]:
                    if dist[v] is None:
                        heapq.heappush(heap, (d + w, v))
            print(-1 if dist[n] is None else dist[n])
            """
        ),
    ],
    tags=["graphs", "shortest paths"],
    rating=1500,
)


def _random_dag(n: int, m: int) -> str:
    order = list(range(1, n + 1))
    for i in range(n - 1, 0, -1):
        j = _rng.randint(0, i)
        order[i], order[j] = order[j], order[i]
    rows = []
    for _ in range(m):
        a, b = _rng.randint(0, n - 1), _rng.randint(0, n - 1)
        while a == b:
            b = _rng.randint(0, n - 1)
        rows.append(f"{order[min(a, b)]} {order[max(a, b)]}")
    return lines(f"{n} {m}", *rows)


TOPOLOGICAL_ORDER = Problem(
    slug="smallest_topological_order",
    description=text(
        """
        n tasks are numbered 1 to n. A rule "u v" says that task u must be done before
        task v. Print the lexicographically smallest order of all tasks that respects
        every rule, or -1 if no order exists.

        Input

        The first line contains n and m (1 ≤ n ≤ 10^5, 0 ≤ m ≤ 10^5). Each of the next
        m lines contains a rule u v (1 ≤ u, v ≤ n, u ≠ v).

        Output

        Print n integers separated by spaces, or -1.
        """
    ),
    public_tests=[("5 3\n3 1\n2 4\n5 4\n", "2 3 1 5 4\n"), ("3 3\n1 2\n2 3\n3 1\n", "-1\n")],
    private_tests=[
        ("1 0\n", "1\n"),
        ("3 0\n", "1 2 3\n"),
        ("4 2\n4 1\n3 2\n", "3 2 4 1\n"),
        ("4 4\n1 2\n2 3\n3 2\n1 4\n", "-1\n"),
        (_random_dag(2000, 4000), None),
        (_random_dag(3000, 1500), None),
    ],
    correct=[
        code(
            r"""
            import heapq
            import sys

            data = sys.stdin.read().split()
            n, m = int(data[0]), int(data[1])
            out_edges = [[] for _ in range(n + 1)]
            indegree = [0] * (n + 1)
            for i in range(m):
                u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                out_edges[u].append(v)
                indegree[v] += 1
            heap = [v for v in range(1, n + 1) if indegree[v] == 0]
            heapq.heapify(heap)
            order = []
            while heap:
                u = heapq.heappop(heap)
                order.append(u)
                for v in out_edges[u]:
                    indegree[v] -= 1
                    if indegree[v] == 0:
                        heapq.heappush(heap, v)
            print(" ".join(map(str, order)) if len(order) == n else -1)
            """
        ),
        code(
            r"""
            from bisect import insort
            from collections import defaultdict

            n, m = map(int, input().split())
            children = defaultdict(list)
            need = [0] * (n + 1)
            for _ in range(m):
                u, v = map(int, input().split())
                children[u].append(v)
                need[v] += 1
            ready = [v for v in range(1, n + 1) if need[v] == 0]
            ready.reverse()
            result = []
            while ready:
                u = ready.pop()
                result.append(u)
                for v in children[u]:
                    need[v] -= 1
                    if need[v] == 0:
                        insort(ready, v, key=lambda x: -x)
            if len(result) < n:
                print(-1)
            else:
                print(*result)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from collections import deque

            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            indeg = [0] * (n + 1)
            for _ in range(m):
                u, v = map(int, input().split())
                adj[u].append(v)
                indeg[v] += 1
            q = deque(v for v in range(1, n + 1) if indeg[v] == 0)
            order = []
            while q:
                u = q.popleft()
                order.append(u)
                for v in adj[u]:
                    indeg[v] -= 1
                    if indeg[v] == 0:
                        q.append(v)
            print(*order) if len(order) == n else print(-1)
            """
        ),
        code(
            r"""
            import heapq

            n, m = map(int, input().split())
            adj = [[] for _ in range(n + 1)]
            indeg = [0] * (n + 1)
            for _ in range(m):
                u, v = map(int, input().split())
                adj[u].append(v)
                indeg[v] += 1
            heap = [v for v in range(1, n + 1) if indeg[v] == 0]
            heapq.heapify(heap)
            order = []
            while heap:
                u = heapq.heappop(heap)
                order.append(u)
                for v in adj[u]:
                    indeg[v] -= 1
                    if indeg[v] == 0:
                        heapq.heappush(heap, v)
            print(*order)
            """
        ),
    ],
    tags=["graphs", "sortings", "data structures"],
    rating=1500,
)


def _random_tree(n: int) -> str:
    return lines(n, *(f"{_rng.randint(1, v - 1)} {v}" for v in range(2, n + 1)))


TREE_DIAMETER = Problem(
    slug="tree_diameter",
    description=text(
        """
        A tree has n vertices and n - 1 edges. Its diameter is the largest number of
        edges on a simple path between two vertices. Print the diameter.

        Input

        The first line contains n (1 ≤ n ≤ 10^5). Each of the next n - 1 lines contains
        an edge u v (1 ≤ u, v ≤ n); the edges form a tree.

        Output

        Print the diameter of the tree.
        """
    ),
    public_tests=[("5\n1 2\n1 3\n3 4\n3 5\n", "3\n"), ("1\n", "0\n")],
    private_tests=[
        ("2\n1 2\n", "1\n"),
        ("5\n1 2\n2 3\n1 4\n4 5\n", "4\n"),
        ("4\n1 2\n1 3\n1 4\n", "2\n"),
        (lines(3000, *(f"{i} {i + 1}" for i in range(1, 3000))), "2999\n"),
        (_random_tree(3000), None),
    ],
    correct=[
        code(
            r"""
            import sys
            from collections import deque


            def farthest(adj, n, source):
                dist = [-1] * (n + 1)
                dist[source] = 0
                queue = deque([source])
                last = source
                while queue:
                    u = queue.popleft()
                    last = u
                    for v in adj[u]:
                        if dist[v] < 0:
                            dist[v] = dist[u] + 1
                            queue.append(v)
                return last, dist[last]


            data = sys.stdin.read().split()
            n = int(data[0])
            adj = [[] for _ in range(n + 1)]
            for i in range(n - 1):
                u, v = int(data[1 + 2 * i]), int(data[2 + 2 * i])
                adj[u].append(v)
                adj[v].append(u)
            end, _ = farthest(adj, n, 1)
            _, diameter = farthest(adj, n, end)
            print(diameter)
            """
        ),
        code(
            r"""
            n = int(input())
            adj = [[] for _ in range(n + 1)]
            for _ in range(n - 1):
                u, v = map(int, input().split())
                adj[u].append(v)
                adj[v].append(u)
            parent = [0] * (n + 1)
            order = []
            stack = [1]
            parent[1] = -1
            while stack:
                u = stack.pop()
                order.append(u)
                for v in adj[u]:
                    if v != parent[u]:
                        parent[v] = u
                        stack.append(v)
            height = [0] * (n + 1)
            best = 0
            for u in reversed(order):
                top1 = top2 = 0
                for v in adj[u]:
                    if v != parent[u]:
                        h = height[v] + 1
                        if h > top1:
                            top1, top2 = h, top1
                        elif h > top2:
                            top2 = h
                height[u] = top1
                best = max(best, top1 + top2)
            print(best)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from collections import deque

            n = int(input())
            adj = [[] for _ in range(n + 1)]
            for _ in range(n - 1):
                u, v = map(int, input().split())
                adj[u].append(v)
                adj[v].append(u)
            dist = [-1] * (n + 1)
            dist[1] = 0
            q = deque([1])
            while q:
                u = q.popleft()
                for v in adj[u]:
                    if dist[v] < 0:
                        dist[v] = dist[u] + 1
                        q.append(v)
            print(max(dist))
            """
        ),
        code(
            r"""
            n = int(input())
            adj = [[] for _ in range(n + 1)]
            for _ in range(n - 1):
                u, v = map(int, input().split())
                adj[u].append(v)
                adj[v].append(u)
            best = 0


            def depth(u, parent):
                global best
                first = second = 0
                for v in adj[u]:
                    if v != parent:
                        d = depth(v, u) + 1
                        if d > first:
                            first, second = d, first
                        elif d > second:
                            second = d
                best = max(best, first + second)
                return first


            depth(1, 0)
            print(best)
            """
        ),
    ],
    tags=["dfs and similar", "graphs", "trees"],
    rating=1400,
)

PROBLEMS = [
    COMPONENTS,
    GRID_ESCAPE,
    BFS_DISTANCES,
    BIPARTITE,
    DIJKSTRA,
    TOPOLOGICAL_ORDER,
    TREE_DIAMETER,
]
