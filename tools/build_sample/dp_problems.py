"""Dynamic-programming problems of the sample."""

from __future__ import annotations

from tools.build_sample._model import Lcg, Problem, code, join, lines, text

_rng = Lcg(5005)

_broken = sorted(set(_rng.ints(40, 1, 4999)))

BROKEN_STAIRS = Problem(
    slug="broken_stairs",
    description=text(
        """
        A staircase has steps numbered 0 to n. You stand on step 0 and want to reach
        step n; with one move you climb one or two steps. Some steps are broken and you
        may not stand on them. Count the ways to reach step n, modulo 1 000 000 007.

        Input

        The first line contains n and m (1 ≤ n ≤ 10^5, 0 ≤ m < n): the top step and the
        number of broken steps. The second line contains m distinct integers
        b_1, ..., b_m (1 ≤ b_i < n), the broken steps (the line is empty when m = 0).

        Output

        Print the number of ways modulo 10^9 + 7.
        """
    ),
    public_tests=[("6 1\n3\n", "4\n"), ("4 0\n\n", "5\n")],
    private_tests=[
        ("1 0\n\n", "1\n"),
        ("2 1\n1\n", "1\n"),
        ("100 0\n\n", None),
        ("100000 0\n\n", None),
        ("10 2\n4 5\n", "0\n"),
        ("100000 3\n2 50000 99999\n", None),
        (lines(f"5000 {len(_broken)}", join(_broken)), None),
    ],
    correct=[
        code(
            r"""
            import sys

            MOD = 10**9 + 7
            data = sys.stdin.read().split()
            n, m = int(data[0]), int(data[1])
            broken = set(map(int, data[2 : 2 + m]))
            ways = [0] * (n + 1)
            ways[0] = 1
            for i in range(1, n + 1):
                if i in broken:
                    continue
                ways[i] = ways[i - 1]
                if i >= 2:
                    ways[i] += ways[i - 2]
                ways[i] %= MOD
            print(ways[n])
            """
        ),
        code(
            r"""
            MOD = 1_000_000_007
            n, m = map(int, input().split())
            bad = set(map(int, input().split())) if m else set()
            two_back, one_back = 0, 1
            for step in range(1, n + 1):
                current = 0 if step in bad else (one_back + two_back) % MOD
                two_back, one_back = one_back, current
            print(one_back)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, m = map(int, input().split())
            broken = set(map(int, input().split())) if m else set()
            dp = [0] * (n + 1)
            dp[0] = 1
            for i in range(1, n + 1):
                if i not in broken:
                    dp[i] = dp[i - 1] + (dp[i - 2] if i >= 2 else 0)
            print(dp[n])
            """
        ),
        code(
            r"""
            from functools import lru_cache

            MOD = 10**9 + 7
            n, m = map(int, input().split())
            broken = set(map(int, input().split())) if m else set()


            @lru_cache(maxsize=None)
            def ways(i):
                if i < 0 or i in broken:
                    return 0
                if i == 0:
                    return 1
                return (ways(i - 1) + ways(i - 2)) % MOD


            print(ways(n))
            """
        ),
        code(
            r"""
            MOD = 10**9 + 7
            n, m = map(int, input().split())
            broken = set(map(int, input().split())) if m else set()
            dp = [0] * (n + 1)
            dp[0] = 1
            dp[1] = 1
            for i in range(2, n + 1):
                if i not in broken:
                    dp[i] = (dp[i - 1] + dp[i - 2]) % MOD
            print(dp[n])
            """
        ),
    ],
    tags=["dp"],
    rating=1100,
)

COIN_COMBINATIONS = Problem(
    slug="coin_combinations",
    description=text(
        """
        There are n kinds of coins with distinct values c_1, ..., c_n, and an unlimited
        supply of each. Count the ways to pay exactly x as an unordered multiset of coins
        (2 + 3 and 3 + 2 are the same way), modulo 1 000 000 007.

        Input

        The first line contains n and x (1 ≤ n ≤ 50, 1 ≤ x ≤ 10^4). The second line
        contains n distinct integers c_i (1 ≤ c_i ≤ 10^4).

        Output

        Print the number of ways modulo 10^9 + 7.
        """
    ),
    public_tests=[("3 5\n1 2 5\n", "4\n"), ("1 3\n2\n", "0\n")],
    private_tests=[
        ("2 4\n1 2\n", "3\n"),
        ("1 10000\n1\n", "1\n"),
        ("3 10000\n1 2 3\n", None),
        ("3 9\n2 3 5\n", None),
        (lines("50 10000", join(sorted(set(_rng.ints(60, 1, 300)))[:50])), None),
    ],
    correct=[
        code(
            r"""
            MOD = 10**9 + 7
            n, x = map(int, input().split())
            coins = list(map(int, input().split()))
            dp = [0] * (x + 1)
            dp[0] = 1
            for c in coins:
                for v in range(c, x + 1):
                    dp[v] = (dp[v] + dp[v - c]) % MOD
            print(dp[x])
            """
        ),
        code(
            r"""
            import sys

            MOD = 1_000_000_007
            data = sys.stdin.read().split()
            n, target = int(data[0]), int(data[1])
            coins = sorted(int(v) for v in data[2 : 2 + n])
            previous = [1] + [0] * target
            for coin in coins:
                current = previous[:]
                for amount in range(coin, target + 1):
                    current[amount] += current[amount - coin]
                    if current[amount] >= MOD:
                        current[amount] -= MOD
                previous = current
            print(previous[target])
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            MOD = 10**9 + 7
            n, x = map(int, input().split())
            coins = list(map(int, input().split()))
            dp = [0] * (x + 1)
            dp[0] = 1
            for v in range(1, x + 1):
                for c in coins:
                    if c <= v:
                        dp[v] = (dp[v] + dp[v - c]) % MOD
            print(dp[x])
            """
        ),
        code(
            r"""
            n, x = map(int, input().split())
            coins = list(map(int, input().split()))
            dp = [0] * (x + 1)
            dp[0] = 1
            for c in coins:
                for v in range(c, x + 1):
                    dp[v] += dp[v - c]
            print(dp[x])
            """
        ),
    ],
    tags=["dp"],
    rating=1400,
)

MIN_COINS = Problem(
    slug="min_coins",
    description=text(
        """
        Using coins of the values c_1, ..., c_n (an unlimited supply of each), pay
        exactly x with as few coins as possible. Print the minimum number of coins, or
        -1 if x cannot be paid exactly.

        Input

        The first line contains n and x (1 ≤ n ≤ 50, 1 ≤ x ≤ 10^4). The second line
        contains n integers c_i (1 ≤ c_i ≤ 10^4).

        Output

        Print the minimum number of coins or -1.
        """
    ),
    public_tests=[("3 6\n1 3 4\n", "2\n"), ("1 3\n2\n", "-1\n")],
    private_tests=[
        ("1 1\n1\n", "1\n"),
        ("2 10000\n9999 10000\n", "1\n"),
        ("3 7\n2 4 6\n", "-1\n"),
        ("3 9999\n5 7 11\n", None),
        ("4 10000\n10000 1 5000 3333\n", "1\n"),
        (lines("50 9973", join(_rng.ints(50, 50, 2000))), None),
    ],
    correct=[
        code(
            r"""
            n, x = map(int, input().split())
            coins = list(map(int, input().split()))
            INF = float("inf")
            best = [0] + [INF] * x
            for v in range(1, x + 1):
                for c in coins:
                    if c <= v and best[v - c] + 1 < best[v]:
                        best[v] = best[v - c] + 1
            print(best[x] if best[x] != INF else -1)
            """
        ),
        code(
            r"""
            import sys
            from collections import deque

            data = sys.stdin.read().split()
            n, x = int(data[0]), int(data[1])
            coins = set(int(v) for v in data[2 : 2 + n])
            dist = [-1] * (x + 1)
            dist[0] = 0
            queue = deque([0])
            while queue:
                amount = queue.popleft()
                for c in coins:
                    nxt = amount + c
                    if nxt <= x and dist[nxt] == -1:
                        dist[nxt] = dist[amount] + 1
                        queue.append(nxt)
            print(dist[x])
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, x = map(int, input().split())
            coins = sorted(map(int, input().split()), reverse=True)
            used = 0
            for c in coins:
                used += x // c
                x %= c
            print(used if x == 0 else -1)
            """
        ),
        code(
            r"""
            n, x = map(int, input().split())
            coins = list(map(int, input().split()))
            dp = [10**9] * (x + 1)
            dp[0] = 0
            for c in coins:
                for v in range(c, x + 1):
                    dp[v] = min(dp[v], dp[v - c] + 1)
            print(dp[x])
            """
        ),
    ],
    tags=["dp", "greedy"],
    rating=1300,
)

_lis_values = _rng.ints(30000, 1, 9999)

LONGEST_INCREASING = Problem(
    slug="longest_increasing",
    description=text(
        """
        Find the length of the longest strictly increasing subsequence of the array: the
        largest k such that there are indices i_1 < i_2 < ... < i_k with
        a_(i_1) < a_(i_2) < ... < a_(i_k).

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). The second line contains n integers
        a_i (|a_i| ≤ 10^9).

        Output

        Print the length of the longest strictly increasing subsequence.
        """
    ),
    public_tests=[("6\n10 9 2 5 3 7\n", "3\n"), ("5\n4 4 4 4 4\n", "1\n")],
    private_tests=[
        ("1\n-5\n", "1\n"),
        ("8\n1 2 2 3 3 4 1 5\n", "5\n"),
        ("5\n5 4 3 2 1\n", "1\n"),
        ("7\n-3 -2 -1 0 -10 1 2\n", "6\n"),
        (lines(len(_lis_values), join(_lis_values)), None),
    ],
    correct=[
        code(
            r"""
            from bisect import bisect_left

            n = int(input())
            tails = []
            for x in map(int, input().split()):
                pos = bisect_left(tails, x)
                if pos == len(tails):
                    tails.append(x)
                else:
                    tails[pos] = x
            print(len(tails))
            """
        ),
        code(
            r"""
            import sys


            def main():
                data = sys.stdin.buffer.read().split()
                n = int(data[0])
                a = list(map(int, data[1 : n + 1]))
                rank = {v: i + 1 for i, v in enumerate(sorted(set(a)))}
                size = len(rank)
                tree = [0] * (size + 1)
                best = 0
                for v in a:
                    r = rank[v] - 1
                    length = 0
                    while r > 0:
                        length = max(length, tree[r])
                        r -= r & -r
                    length += 1
                    best = max(best, length)
                    r = rank[v]
                    while r <= size:
                        if tree[r] < length:
                            tree[r] = length
                        r += r & -r
                print(best)


            main()
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from bisect import bisect_right

            n = int(input())
            tails = []
            for x in map(int, input().split()):
                pos = bisect_right(tails, x)
                if pos == len(tails):
                    tails.append(x)
                else:
                    tails[pos] = x
            print(len(tails))
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            dp = [1] * n
            for i in range(n):
                for j in range(i):
                    if a[j] < a[i] and dp[j] + 1 > dp[i]:
                        dp[i] = dp[j] + 1
            print(max(dp))
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            best = cur = 1
            for i in range(1, n):
                cur = cur + 1 if a[i] > a[i - 1] else 1
                best = max(best, cur)
            print(best)
            """
        ),
    ],
    tags=["dp", "binary search", "data structures"],
    rating=1500,
    slow=(1,),
)

MAX_SUBARRAY = Problem(
    slug="max_subarray",
    description=text(
        """
        Find the largest sum of a non-empty block of consecutive elements of the array.

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). The second line contains n integers
        a_i (|a_i| ≤ 10^9).

        Output

        Print the maximum subarray sum.
        """
    ),
    public_tests=[("9\n-2 1 -3 4 -1 2 1 -5 4\n", "6\n"), ("3\n-5 -2 -9\n", "-2\n")],
    private_tests=[
        ("1\n7\n", "7\n"),
        ("4\n1 -10 2 3\n", "5\n"),
        ("2\n-1000000000 -1000000000\n", "-1000000000\n"),
        ("5\n1000000000 1000000000 -1 1000000000 1000000000\n", "3999999999\n"),
        (lines(5000, join(_rng.ints(5000, -(10**6), 10**6))), None),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            best = cur = a[0]
            for x in a[1:]:
                cur = max(x, cur + x)
                best = max(best, cur)
            print(best)
            """
        ),
        code(
            r"""
            import sys

            data = sys.stdin.read().split()
            n = int(data[0])
            prefix = 0
            lowest = 0
            answer = None
            for token in data[1 : n + 1]:
                prefix += int(token)
                candidate = prefix - lowest
                if answer is None or candidate > answer:
                    answer = candidate
                lowest = min(lowest, prefix)
            print(answer)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            best = 0
            cur = 0
            for x in a:
                cur = max(0, cur + x)
                best = max(best, cur)
            print(best)
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            positives = [x for x in a if x > 0]
            print(sum(positives) if positives else max(a))
            """
        ),
    ],
    tags=["dp", "greedy"],
    rating=1000,
)


def _grid(rows: int, cols: int, walls: int) -> str:
    cells = [["."] * cols for _ in range(rows)]
    for _ in range(walls):
        cells[_rng.randint(0, rows - 1)][_rng.randint(0, cols - 1)] = "#"
    cells[0][0] = cells[rows - 1][cols - 1] = "."
    return lines(f"{rows} {cols}", *("".join(row) for row in cells))


GRID_PATHS = Problem(
    slug="grid_paths",
    description=text(
        """
        A robot stands in the top-left cell of an n × m grid and must reach the
        bottom-right cell, moving only right or down. Cells marked # are blocked ('.'
        is free). Count the paths modulo 1 000 000 007 (0 if the start or the finish is
        blocked).

        Input

        The first line contains n and m (1 ≤ n, m ≤ 300). Each of the next n lines
        contains m characters '.' or '#'.

        Output

        Print the number of paths modulo 10^9 + 7.
        """
    ),
    public_tests=[("3 3\n...\n.#.\n...\n", "2\n"), ("2 2\n.#\n#.\n", "0\n")],
    private_tests=[
        ("1 1\n.\n", "1\n"),
        ("1 1\n#\n", "0\n"),
        ("1 5\n..#..\n", "0\n"),
        ("3 4\n....\n#...\n....\n", None),
        ("3 3\n#..\n...\n...\n", "0\n"),
        (_grid(300, 300, 3000), None),
        (_grid(50, 60, 0), None),
    ],
    correct=[
        code(
            r"""
            MOD = 10**9 + 7
            n, m = map(int, input().split())
            grid = [input().strip() for _ in range(n)]
            dp = [[0] * m for _ in range(n)]
            for i in range(n):
                for j in range(m):
                    if grid[i][j] == "#":
                        continue
                    if i == 0 and j == 0:
                        dp[i][j] = 1
                        continue
                    total = 0
                    if i > 0:
                        total += dp[i - 1][j]
                    if j > 0:
                        total += dp[i][j - 1]
                    dp[i][j] = total % MOD
            print(dp[n - 1][m - 1])
            """
        ),
        code(
            r"""
            import sys

            MOD = 1_000_000_007
            lines = sys.stdin.read().split()
            n, m = int(lines[0]), int(lines[1])
            rows = lines[2 : 2 + n]
            row = [0] * m
            row[0] = 1
            for r in rows:
                for j, cell in enumerate(r):
                    if cell == "#":
                        row[j] = 0
                    elif j:
                        row[j] = (row[j] + row[j - 1]) % MOD
            print(row[-1])
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            MOD = 10**9 + 7
            n, m = map(int, input().split())
            g = [input() for _ in range(n)]
            dp = [[0] * m for _ in range(n)]
            for i in range(n):
                dp[i][0] = 1
            for j in range(m):
                dp[0][j] = 1
            for i in range(1, n):
                for j in range(1, m):
                    if g[i][j] == ".":
                        dp[i][j] = (dp[i - 1][j] + dp[i][j - 1]) % MOD
            print(dp[n - 1][m - 1] if g[n - 1][m - 1] == "." else 0)
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            g = [input() for _ in range(n)]
            dp = [[0] * (m + 1) for _ in range(n + 1)]
            dp[0][1] = 1
            for i in range(1, n + 1):
                for j in range(1, m + 1):
                    if g[i - 1][j - 1] == ".":
                        dp[i][j] = dp[i - 1][j] + dp[i][j - 1]
            print(dp[n][m])
            """
        ),
    ],
    tags=["dp", "combinatorics"],
    rating=1200,
)

_items = [f"{_rng.randint(1, 400)} {_rng.randint(1, 10**6)}" for _ in range(60)]

KNAPSACK = Problem(
    slug="knapsack",
    description=text(
        """
        There are n items; the i-th weighs w_i and is worth v_i. Choose a subset of
        items with total weight at most W and the largest total value. Each item can be
        taken at most once. Print the largest total value.

        Input

        The first line contains n and W (1 ≤ n ≤ 60, 1 ≤ W ≤ 5000). Each of the next n
        lines contains w_i and v_i (1 ≤ w_i ≤ 5000, 1 ≤ v_i ≤ 10^9).

        Output

        Print the maximum total value.
        """
    ),
    public_tests=[("3 50\n10 60\n20 100\n30 120\n", "220\n"), ("1 5\n6 10\n", "0\n")],
    private_tests=[
        ("2 10\n5 10\n5 10\n", "20\n"),
        ("1 1\n1 7\n", "7\n"),
        ("4 7\n1 1\n3 4\n4 5\n5 7\n", "9\n"),
        ("3 10\n6 30\n5 20\n5 20\n", "40\n"),
        (lines("60 5000", *_items), None),
    ],
    correct=[
        code(
            r"""
            n, W = map(int, input().split())
            best = [0] * (W + 1)
            for _ in range(n):
                w, v = map(int, input().split())
                for cap in range(W, w - 1, -1):
                    if best[cap - w] + v > best[cap]:
                        best[cap] = best[cap - w] + v
            print(best[W])
            """
        ),
        code(
            r"""
            import sys

            data = sys.stdin.read().split()
            n, limit = int(data[0]), int(data[1])
            states = {0: 0}
            for i in range(n):
                w, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
                updated = dict(states)
                for weight, value in states.items():
                    nw = weight + w
                    if nw <= limit and updated.get(nw, -1) < value + v:
                        updated[nw] = value + v
                states = updated
            print(max(states.values()))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, W = map(int, input().split())
            best = [0] * (W + 1)
            for _ in range(n):
                w, v = map(int, input().split())
                for cap in range(w, W + 1):
                    best[cap] = max(best[cap], best[cap - w] + v)
            print(best[W])
            """
        ),
        code(
            r"""
            n, W = map(int, input().split())
            items = [tuple(map(int, input().split())) for _ in range(n)]
            items.sort(key=lambda it: it[1] / it[0], reverse=True)
            total = 0
            room = W
            for w, v in items:
                if w <= room:
                    room -= w
                    total += v
            print(total)
            """
        ),
    ],
    tags=["dp"],
    rating=1400,
)

HOUSE_ROBBER = Problem(
    slug="no_adjacent_sum",
    description=text(
        """
        A thief walks along a street of n houses; house i holds a_i coins. He may not
        rob two neighbouring houses. What is the largest total he can take?

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). The second line contains n integers
        a_i (0 ≤ a_i ≤ 10^9).

        Output

        Print the largest total of a set of houses with no two adjacent.
        """
    ),
    public_tests=[("4\n1 2 3 1\n", "4\n"), ("5\n2 7 9 3 1\n", "12\n")],
    private_tests=[
        ("1\n5\n", "5\n"),
        ("4\n2 1 1 2\n", "4\n"),
        ("3\n0 0 0\n", "0\n"),
        ("2\n1000000000 999999999\n", "1000000000\n"),
        (lines(5000, join(_rng.ints(5000, 0, 10**9))), None),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            take, skip = 0, 0
            for x in a:
                take, skip = skip + x, max(take, skip)
            print(max(take, skip))
            """
        ),
        code(
            r"""
            import sys

            data = sys.stdin.read().split()
            n = int(data[0])
            a = [int(x) for x in data[1 : n + 1]]
            dp = [0] * (n + 1)
            dp[1] = a[0]
            for i in range(2, n + 1):
                dp[i] = max(dp[i - 1], dp[i - 2] + a[i - 1])
            print(dp[n])
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            print(max(sum(a[0::2]), sum(a[1::2])))
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            dp = [0] * n
            dp[0] = a[0]
            dp[1] = max(a[0], a[1])
            for i in range(2, n):
                dp[i] = max(dp[i - 1], dp[i - 2] + a[i])
            print(dp[-1])
            """
        ),
    ],
    tags=["dp"],
    rating=1100,
)

PROBLEMS = [
    BROKEN_STAIRS,
    COIN_COMBINATIONS,
    MIN_COINS,
    LONGEST_INCREASING,
    MAX_SUBARRAY,
    GRID_PATHS,
    KNAPSACK,
    HOUSE_ROBBER,
]
