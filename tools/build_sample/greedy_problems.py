"""Sorting and greedy problems of the sample."""

from __future__ import annotations

from tools.build_sample._model import Lcg, Problem, code, join, lines, text

_rng = Lcg(3003)

_boat_weights = _rng.ints(5000, 1, 10000)

BOAT_PAIRS = Problem(
    slug="boat_pairs",
    description=text(
        """
        n people want to cross a river. The i-th person weighs w_i kilograms. Every boat
        carries at most two people, and their total weight must not exceed C kilograms.
        What is the smallest number of boats needed?

        Input

        The first line contains n and C (1 ≤ n ≤ 2·10^5, 1 ≤ C ≤ 10^9). The second line
        contains n integers w_i (1 ≤ w_i ≤ C).

        Output

        Print the minimum number of boats.
        """
    ),
    public_tests=[("4 5\n1 2 3 4\n", "2\n"), ("3 3\n3 2 2\n", "3\n")],
    private_tests=[
        ("1 10\n10\n", "1\n"),
        ("2 10\n5 5\n", "1\n"),
        ("6 100\n100 50 50 1 99 49\n", "4\n"),
        (lines(f"{len(_boat_weights)} 10000", join(_boat_weights)), None),
        ("5 1000000000\n1000000000 1 999999999 500000000 500000000\n", "3\n"),
    ],
    correct=[
        code(
            r"""
            n, c = map(int, input().split())
            w = sorted(map(int, input().split()))
            i, j = 0, n - 1
            boats = 0
            while i <= j:
                if i < j and w[i] + w[j] <= c:
                    i += 1
                j -= 1
                boats += 1
            print(boats)
            """
        ),
        code(
            r"""
            import sys
            from collections import deque

            data = sys.stdin.buffer.read().split()
            n, cap = int(data[0]), int(data[1])
            people = deque(sorted(map(int, data[2 : 2 + n])))
            boats = 0
            while people:
                heaviest = people.pop()
                if people and people[0] + heaviest <= cap:
                    people.popleft()
                boats += 1
            print(boats)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, c = map(int, input().split())
            w = sorted(map(int, input().split()))
            i, j = 0, n - 1
            boats = 0
            while i <= j:
                if i < j and w[i] + w[j] < c:
                    i += 1
                j -= 1
                boats += 1
            print(boats)
            """
        ),
        code(
            r"""
            n, c = map(int, input().split())
            w = sorted(map(int, input().split()))
            boats = 0
            i = 0
            while i < n:
                if i + 1 < n and w[i] + w[i + 1] <= c:
                    i += 2
                else:
                    i += 1
                boats += 1
            print(boats)
            """
        ),
    ],
    tags=["greedy", "sortings", "two pointers"],
    rating=1100,
)

_interval_rows = []
for _ in range(4000):
    _l = _rng.randint(-(10**5), 10**5)
    _interval_rows.append(f"{_l} {_l + _rng.randint(0, 500)}")

DISJOINT_INTERVALS = Problem(
    slug="disjoint_intervals",
    description=text(
        """
        You are given n closed segments [l_i, r_i] on a line. Choose as many of them as
        possible so that no two chosen segments share a point (segments [1, 2] and
        [2, 3] share the point 2). Print the maximum number of segments.

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). Each of the next n lines contains two
        integers l_i and r_i (-10^9 ≤ l_i ≤ r_i ≤ 10^9).

        Output

        Print the maximum number of pairwise disjoint segments.
        """
    ),
    public_tests=[("3\n1 3\n2 5\n4 6\n", "2\n"), ("3\n1 2\n2 3\n3 4\n", "2\n")],
    private_tests=[
        ("1\n5 5\n", "1\n"),
        ("4\n1 10\n2 3\n4 5\n6 7\n", "3\n"),
        ("3\n1 5\n1 5\n1 5\n", "1\n"),
        ("2\n-5 -1\n-1 3\n", "1\n"),
        ("3\n1 4\n4 6\n6 9\n", "2\n"),
        (lines(len(_interval_rows), *_interval_rows), None),
        ("4\n1 2\n3 4\n5 6\n0 100\n", "3\n"),
    ],
    correct=[
        code(
            r"""
            import sys

            input = sys.stdin.readline
            n = int(input())
            segments = [tuple(map(int, input().split())) for _ in range(n)]
            segments.sort(key=lambda seg: seg[1])
            count = 0
            last_end = None
            for l, r in segments:
                if last_end is None or l > last_end:
                    count += 1
                    last_end = r
            print(count)
            """
        ),
        code(
            r"""
            n = int(input())
            segs = []
            for _ in range(n):
                l, r = map(int, input().split())
                segs.append((l, r))
            segs.sort(reverse=True)
            chosen = 0
            boundary = float("inf")
            for l, r in segs:
                if r < boundary:
                    chosen += 1
                    boundary = l
            print(chosen)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            segments = sorted((tuple(map(int, input().split())) for _ in range(n)), key=lambda s: s[1])
            count = 0
            last_end = -(10**18)
            for l, r in segments:
                if l >= last_end:
                    count += 1
                    last_end = r
            print(count)
            """
        ),
        code(
            r"""
            n = int(input())
            segments = sorted(tuple(map(int, input().split())) for _ in range(n))
            count = 0
            last_end = -(10**18)
            for l, r in segments:
                if l > last_end:
                    count += 1
                    last_end = r
            print(count)
            """
        ),
        code(
            r"""
            n = int(input())
            segments = [tuple(map(int, input().split())) for _ in range(n)]
            segments.sort(key=lambda s: s[1] - s[0])
            taken = []
            for l, r in segments:
                if all(r < a or l > b for a, b in taken):
                    taken.append((l, r))
            print(len(taken))
            """
        ),
    ],
    tags=["greedy", "sortings"],
    rating=1300,
)

_trains = []
for _ in range(4000):
    _a = _rng.randint(0, 100000)
    _trains.append(f"{_a} {_a + _rng.randint(0, 300)}")

PLATFORMS = Problem(
    slug="platforms",
    description=text(
        """
        A station receives n trains. The i-th train arrives at minute a_i and leaves at
        minute d_i, and it occupies a platform during the whole closed interval
        [a_i, d_i]: if one train leaves at the same minute another arrives, they need two
        platforms. What is the smallest number of platforms that suffices?

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). Each of the next n lines contains two
        integers a_i and d_i (0 ≤ a_i ≤ d_i ≤ 10^9).

        Output

        Print the minimum number of platforms.
        """
    ),
    public_tests=[("3\n1 4\n2 5\n6 7\n", "2\n"), ("2\n1 2\n2 3\n", "2\n")],
    private_tests=[
        ("1\n5 5\n", "1\n"),
        ("3\n1 1\n1 1\n1 1\n", "3\n"),
        ("4\n1 10\n2 3\n3 4\n4 5\n", "3\n"),
        (lines(len(_trains), *_trains), None),
        ("3\n0 1000000000\n500 500\n1000000000 1000000000\n", "2\n"),
    ],
    correct=[
        code(
            r"""
            import sys

            data = sys.stdin.read().split()
            n = int(data[0])
            events = []
            for i in range(n):
                a, d = int(data[1 + 2 * i]), int(data[2 + 2 * i])
                events.append((a, 0))
                events.append((d, 1))
            events.sort()
            current = best = 0
            for _, kind in events:
                if kind == 0:
                    current += 1
                    best = max(best, current)
                else:
                    current -= 1
            print(best)
            """
        ),
        code(
            r"""
            n = int(input())
            arrivals, departures = [], []
            for _ in range(n):
                a, d = map(int, input().split())
                arrivals.append(a)
                departures.append(d)
            arrivals.sort()
            departures.sort()
            j = 0
            busy = 0
            answer = 0
            for a in arrivals:
                while departures[j] < a:
                    j += 1
                    busy -= 1
                busy += 1
                answer = max(answer, busy)
            print(answer)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            events = []
            for _ in range(n):
                a, d = map(int, input().split())
                events.append((a, 1))
                events.append((d, -1))
            events.sort()
            current = best = 0
            for _, delta in events:
                current += delta
                best = max(best, current)
            print(best)
            """
        ),
        code(
            r"""
            n = int(input())
            arr = []
            dep = []
            for _ in range(n):
                a, d = map(int, input().split())
                arr.append(a)
                dep.append(d)
            arr.sort()
            dep.sort()
            i = j = busy = best = 0
            while i < n:
                if arr[i] < dep[j]:
                    busy += 1
                    best = max(best, busy)
                    i += 1
                else:
                    busy -= 1
                    j += 1
            print(best)
            """
        ),
    ],
    tags=["greedy", "sortings", "two pointers"],
    rating=1200,
)

SECOND_LARGEST = Problem(
    slug="second_largest",
    description=text(
        """
        Print the second largest distinct value among n integers: the largest value that
        is strictly smaller than the maximum. If all numbers are equal, print NONE.

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). The second line contains n integers
        a_i (-10^9 ≤ a_i ≤ 10^9).

        Output

        Print the second largest distinct value, or NONE if it does not exist.
        """
    ),
    public_tests=[("5\n3 1 4 1 5\n", "4\n"), ("3\n7 7 7\n", "NONE\n")],
    private_tests=[
        ("1\n-5\n", "NONE\n"),
        ("4\n-1 -2 -3 -1\n", "-2\n"),
        ("2\n1000000000 -1000000000\n", "-1000000000\n"),
        ("6\n9 9 9 8 8 1\n", "8\n"),
        (lines(5000, join(_rng.ints(5000, -(10**9), 10**9))), None),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            values = sorted(set(map(int, input().split())))
            print(values[-2] if len(values) > 1 else "NONE")
            """
        ),
        code(
            r"""
            import sys

            data = sys.stdin.read().split()
            first = second = None
            for x in map(int, data[1:]):
                if first is None or x > first:
                    first, second = x, first
                elif x != first and (second is None or x > second):
                    second = x
            print("NONE" if second is None else second)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            a = sorted(map(int, input().split()))
            print(a[-2] if n > 1 else "NONE")
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            first = second = 0
            for x in a:
                if x > first:
                    first, second = x, first
                elif first > x > second:
                    second = x
            print(second if second != first and n > 1 else "NONE")
            """
        ),
        code(
            r"""
            n = int(input())
            s = sorted(set(map(int, input().split())))
            print(s[-2])
            """
        ),
    ],
    tags=["sortings", "implementation"],
    rating=800,
)

_spread_values = _rng.ints(5000, 0, 10**6)

TIGHT_GROUP = Problem(
    slug="tight_group",
    description=text(
        """
        A coach has n athletes; the i-th has skill a_i. She wants to pick exactly k of
        them so that the difference between the largest and the smallest skill among the
        chosen is as small as possible. Print that smallest difference.

        Input

        The first line contains n and k (1 ≤ k ≤ n ≤ 2·10^5). The second line contains n
        integers a_i (0 ≤ a_i ≤ 10^9).

        Output

        Print the minimum possible difference.
        """
    ),
    public_tests=[("5 3\n10 100 300 200 1000\n", "190\n"), ("4 2\n1 5 9 14\n", "4\n")],
    private_tests=[
        ("1 1\n42\n", "0\n"),
        ("3 3\n5 1 9\n", "8\n"),
        ("6 2\n7 7 3 3 9 9\n", "0\n"),
        (lines("5000 200", join(_spread_values)), None),
        ("5 2\n1 100 200 300 301\n", "1\n"),
    ],
    correct=[
        code(
            r"""
            n, k = map(int, input().split())
            a = sorted(map(int, input().split()))
            print(min(a[i + k - 1] - a[i] for i in range(n - k + 1)))
            """
        ),
        code(
            r"""
            import sys

            data = sys.stdin.buffer.read().split()
            n, k = int(data[0]), int(data[1])
            skills = sorted(map(int, data[2 : 2 + n]))
            print(min(hi - lo for lo, hi in zip(skills, skills[k - 1 :])))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, k = map(int, input().split())
            a = sorted(map(int, input().split()))
            print(min(a[i + k] - a[i] for i in range(n - k)))
            """
        ),
        code(
            r"""
            n, k = map(int, input().split())
            a = list(map(int, input().split()))
            best = None
            for i in range(n - k + 1):
                window = a[i : i + k]
                diff = max(window) - min(window)
                if best is None or diff < best:
                    best = diff
            print(best)
            """
        ),
    ],
    tags=["greedy", "sortings"],
    rating=900,
)

_taxi_groups = _rng.ints(20000, 1, 4)

TAXI_GROUPS = Problem(
    slug="taxi_groups",
    description=text(
        """
        n groups of friends leave a party; the i-th group has s_i people (1 ≤ s_i ≤ 4).
        Each taxi takes at most four passengers, and every group wants to ride in the
        same taxi (a taxi may take several groups). What is the minimum number of
        taxis?

        Input

        The first line contains n (1 ≤ n ≤ 10^5). The second line contains n integers
        s_i (1 ≤ s_i ≤ 4).

        Output

        Print the minimum number of taxis.
        """
    ),
    public_tests=[("5\n1 2 4 3 3\n", "4\n"), ("8\n2 3 4 4 2 1 3 1\n", "5\n")],
    private_tests=[
        ("1\n1\n", "1\n"),
        ("4\n3 3 3 2\n", "4\n"),
        ("6\n1 1 1 1 1 1\n", "2\n"),
        ("3\n2 2 1\n", "2\n"),
        (lines(len(_taxi_groups), join(_taxi_groups)), None),
        ("7\n3 1 1 1 2 2 1\n", None),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            s = list(map(int, input().split()))
            c = [s.count(k) for k in range(5)]
            taxis = c[4] + c[3] + c[2] // 2
            ones = max(0, c[1] - c[3])
            if c[2] % 2:
                taxis += 1
                ones = max(0, ones - 2)
            taxis += (ones + 3) // 4
            print(taxis)
            """
        ),
        code(
            r"""
            import sys

            groups = sorted(map(int, sys.stdin.read().split()[1:]))
            i, j = 0, len(groups) - 1
            taxis = 0
            while i <= j:
                load = groups[j]
                j -= 1
                while i <= j and load + groups[i] <= 4:
                    load += groups[i]
                    i += 1
                taxis += 1
            print(taxis)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            import math

            n = int(input())
            s = list(map(int, input().split()))
            print(s.count(4) + s.count(3) + math.ceil(s.count(2) / 2) + math.ceil(s.count(1) / 4))
            """
        ),
        code(
            r"""
            from collections import Counter

            input()
            c = Counter(map(int, input().split()))
            rest = c[2] * 2 + (c[1] - c[3])
            print(c[4] + c[3] + (rest + 3) // 4)
            """
        ),
    ],
    tags=["greedy", "implementation"],
    rating=1100,
)

_durations = _rng.ints(5000, 1, 10**6)

SHORTEST_FIRST = Problem(
    slug="shortest_first",
    description=text(
        """
        A machine must run n jobs one after another, in any order; job i takes t_i
        seconds. The completion time of a job is the moment it finishes, counting from
        the start of the first job. Choose the order minimising the sum of completion
        times of all jobs and print that sum.

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). The second line contains n integers
        t_i (1 ≤ t_i ≤ 10^9).

        Output

        Print the minimum possible sum of completion times.
        """
    ),
    public_tests=[("3\n3 1 2\n", "10\n"), ("1\n5\n", "5\n")],
    private_tests=[
        ("4\n1 1 1 1\n", "10\n"),
        ("2\n1000000000 1000000000\n", "3000000000\n"),
        ("3\n10 1 100\n", "123\n"),
        (lines(len(_durations), join(_durations)), None),
    ],
    correct=[
        code(
            r"""
            from itertools import accumulate

            n = int(input())
            t = sorted(map(int, input().split()))
            print(sum(accumulate(t)))
            """
        ),
        code(
            r"""
            import sys

            data = sys.stdin.read().split()
            n = int(data[0])
            times = sorted(int(x) for x in data[1 : n + 1])
            total = 0
            for i, t in enumerate(times):
                total += t * (n - i)
            print(total)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            t = sorted(map(int, input().split()), reverse=True)
            finish = 0
            total = 0
            for x in t:
                finish += x
                total += finish
            print(total)
            """
        ),
        code(
            r"""
            n = int(input())
            t = sorted(map(int, input().split()))
            total = 0
            for i, x in enumerate(t):
                total += x * (n - i - 1)
            print(total)
            """
        ),
    ],
    tags=["greedy", "sortings"],
    rating=1000,
)

PROBLEMS = [
    BOAT_PAIRS,
    DISJOINT_INTERVALS,
    PLATFORMS,
    SECOND_LARGEST,
    TIGHT_GROUP,
    TAXI_GROUPS,
    SHORTEST_FIRST,
]
