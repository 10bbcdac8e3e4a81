"""Prefix-sum, two-pointer and binary-search problems of the sample."""

from __future__ import annotations

from tools.build_sample._model import Lcg, Problem, code, join, lines, text

_rng = Lcg(4004)

_rs_values = _rng.ints(2000, -(10**9), 10**9)
_rs_queries = []
for _ in range(2000):
    _a, _b = _rng.randint(1, 2000), _rng.randint(1, 2000)
    _rs_queries.append(f"{min(_a, _b)} {max(_a, _b)}")

RANGE_SUM_QUERIES = Problem(
    slug="range_sum_queries",
    description=text(
        """
        You are given an array of n integers and q queries. Each query is a pair l, r;
        print a_l + a_(l+1) + ... + a_r (the array is indexed from 1).

        Input

        The first line contains n and q (1 ≤ n, q ≤ 2·10^5). The second line contains n
        integers a_i (-10^9 ≤ a_i ≤ 10^9). Each of the next q lines contains l and r
        (1 ≤ l ≤ r ≤ n).

        Output

        Print q lines, the answers to the queries.
        """
    ),
    public_tests=[("5 3\n1 2 3 4 5\n1 5\n2 4\n3 3\n", "15\n9\n3\n"), ("1 1\n-7\n1 1\n", "-7\n")],
    private_tests=[
        ("3 2\n5 -5 5\n1 2\n2 3\n", "0\n0\n"),
        ("4 1\n1000000000 1000000000 1000000000 1000000000\n1 4\n", "4000000000\n"),
        ("3 3\n1 2 3\n1 1\n3 3\n1 3\n", "1\n3\n6\n"),
        (lines("2000 2000", join(_rs_values), *_rs_queries), None),
    ],
    correct=[
        code(
            r"""
            import sys
            from itertools import accumulate

            data = sys.stdin.buffer.read().split()
            n, q = int(data[0]), int(data[1])
            prefix = list(accumulate(map(int, data[2 : 2 + n]), initial=0))
            out = []
            pos = 2 + n
            for _ in range(q):
                l, r = int(data[pos]), int(data[pos + 1])
                pos += 2
                out.append(prefix[r] - prefix[l - 1])
            sys.stdout.write("\n".join(map(str, out)) + "\n")
            """
        ),
        code(
            r"""
            n, q = map(int, input().split())
            a = list(map(int, input().split()))
            pre = [0] * (n + 1)
            for i in range(n):
                pre[i + 1] = pre[i] + a[i]
            answers = []
            for _ in range(q):
                l, r = map(int, input().split())
                answers.append(str(pre[r] - pre[l - 1]))
            print("\n".join(answers))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, q = map(int, input().split())
            a = list(map(int, input().split()))
            pre = [0] * (n + 1)
            for i in range(n):
                pre[i + 1] = pre[i] + a[i]
            for _ in range(q):
                l, r = map(int, input().split())
                print(pre[r] - pre[l])
            """
        ),
        code(
            r"""
            from itertools import accumulate

            n, q = map(int, input().split())
            p = list(accumulate(map(int, input().split())))
            for _ in range(q):
                l, r = map(int, input().split())
                print(p[r - 1] - p[l - 2])
            """
        ),
        code(
            r"""
            n, q = map(int, input().split())
            a = list(map(int, input().split()))
            for _ in range(q):
                l, r = map(int, input().split())
                print(sum(a[l:r]))
            """
        ),
    ],
    tags=["data structures", "implementation"],
    rating=900,
)

_sk_values = _rng.ints(30000, -9, 9)

SUBARRAYS_WITH_SUM = Problem(
    slug="subarrays_with_sum",
    description=text(
        """
        Count the pairs (l, r) with 1 ≤ l ≤ r ≤ n such that a_l + ... + a_r = k.
        The numbers may be negative.

        Input

        The first line contains n and k (1 ≤ n ≤ 2·10^5, |k| ≤ 10^9). The second line
        contains n integers a_i (|a_i| ≤ 10^4).

        Output

        Print the number of subarrays whose sum equals k.
        """
    ),
    public_tests=[("5 3\n1 2 1 2 1\n", "4\n"), ("3 0\n1 -1 0\n", "3\n")],
    private_tests=[
        ("1 5\n5\n", "1\n"),
        ("4 0\n0 0 0 0\n", "10\n"),
        ("5 -2\n-1 -1 1 -3 1\n", None),
        ("3 100\n1 2 3\n", "0\n"),
        ("6 4\n4 -4 4 -4 4 0\n", None),
        (lines(f"{len(_sk_values)} 3", join(_sk_values)), None),
    ],
    correct=[
        code(
            r"""
            from collections import Counter

            n, k = map(int, input().split())
            a = list(map(int, input().split()))
            seen = Counter({0: 1})
            prefix = 0
            count = 0
            for x in a:
                prefix += x
                count += seen[prefix - k]
                seen[prefix] += 1
            print(count)
            """
        ),
        code(
            r"""
            import sys
            from collections import defaultdict

            data = sys.stdin.read().split()
            n, k = int(data[0]), int(data[1])
            freq = defaultdict(int)
            freq[0] = 1
            s = 0
            answer = 0
            for token in data[2 : 2 + n]:
                s += int(token)
                answer += freq.get(s - k, 0)
                freq[s] += 1
            print(answer)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from collections import Counter

            n, k = map(int, input().split())
            a = list(map(int, input().split()))
            seen = Counter()
            prefix = 0
            count = 0
            for x in a:
                prefix += x
                count += seen[prefix - k]
                seen[prefix] += 1
            print(count)
            """
        ),
        code(
            r"""
            n, k = map(int, input().split())
            a = list(map(int, input().split()))
            left = 0
            window = 0
            count = 0
            for right in range(n):
                window += a[right]
                while window > k and left <= right:
                    window -= a[left]
                    left += 1
                if window == k:
                    count += 1
            print(count)
            """
        ),
        code(
            r"""
            n, k = map(int, input().split())
            a = list(map(int, input().split()))
            count = 0
            for i in range(n):
                s = 0
                for j in range(i, n):
                    s += a[j]
                    if s == k:
                        count += 1
            print(count)
            """
        ),
    ],
    tags=["data structures", "hashing"],
    rating=1400,
    slow=(2,),
)

_piles = _rng.ints(5000, 1, 10**9)

EATING_SPEED = Problem(
    slug="eating_speed",
    description=text(
        """
        There are n piles of nuts, the i-th containing a_i nuts. A squirrel eats at a
        fixed speed of k nuts per hour: every hour it picks one pile and eats k nuts
        from it (or the whole pile if it has fewer than k nuts left); it never moves to
        another pile within the same hour. Find the smallest integer speed k that lets
        it finish all piles within h hours.

        Input

        The first line contains n and h (1 ≤ n ≤ 10^5, n ≤ h ≤ 10^9). The second line
        contains n integers a_i (1 ≤ a_i ≤ 10^9).

        Output

        Print the minimum speed k.
        """
    ),
    public_tests=[("4 8\n3 6 7 11\n", "4\n"), ("5 5\n30 11 23 4 20\n", "30\n")],
    private_tests=[
        ("1 1000000000\n1000000000\n", "1\n"),
        ("3 6\n5 5 5\n", "3\n"),
        ("2 3\n1 1000000000\n", "500000000\n"),
        ("1 1\n1000000000\n", "1000000000\n"),
        (lines(f"{len(_piles)} 1000000", join(_piles)), None),
    ],
    correct=[
        code(
            r"""
            n, h = map(int, input().split())
            piles = list(map(int, input().split()))


            def hours(k):
                return sum((p + k - 1) // k for p in piles)


            lo, hi = 1, max(piles)
            while lo < hi:
                mid = (lo + hi) // 2
                if hours(mid) <= h:
                    hi = mid
                else:
                    lo = mid + 1
            print(lo)
            """
        ),
        code(
            r"""
            import sys
            from bisect import bisect_left

            data = sys.stdin.read().split()
            n, h = int(data[0]), int(data[1])
            piles = [int(x) for x in data[2 : 2 + n]]
            speeds = range(1, max(piles) + 1)
            k = bisect_left(speeds, True, key=lambda s: sum(-(-p // s) for p in piles) <= h)
            print(speeds[k])
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, h = map(int, input().split())
            piles = list(map(int, input().split()))
            lo, hi = 1, max(piles)
            while lo < hi:
                mid = (lo + hi) // 2
                if sum((p + mid - 1) // mid for p in piles) <= h:
                    hi = mid - 1
                else:
                    lo = mid + 1
            print(lo)
            """
        ),
        code(
            r"""
            n, h = map(int, input().split())
            piles = list(map(int, input().split()))
            k = 1
            while sum((p + k - 1) // k for p in piles) > h:
                k += 1
            print(k)
            """
        ),
        code(
            r"""
            n, h = map(int, input().split())
            piles = list(map(int, input().split()))
            lo, hi = 1, max(piles)
            while lo < hi:
                mid = (lo + hi) // 2
                if sum(p // mid + 1 for p in piles) <= h:
                    hi = mid
                else:
                    lo = mid + 1
            print(lo)
            """
        ),
    ],
    tags=["binary search"],
    rating=1300,
    slow=(1,),
)

_pair_values = _rng.ints(25000, 1, 99999)

PAIRS_WITH_SMALL_SUM = Problem(
    slug="pairs_with_small_sum",
    description=text(
        """
        Count the pairs of indices i < j such that a_i + a_j ≤ x.

        Input

        The first line contains n and x (1 ≤ n ≤ 2·10^5, |x| ≤ 10^9). The second line
        contains n integers a_i (|a_i| ≤ 10^9).

        Output

        Print the number of pairs.
        """
    ),
    public_tests=[("4 6\n1 2 3 4\n", "5\n"), ("2 1\n1 1\n", "0\n")],
    private_tests=[
        ("1 100\n5\n", "0\n"),
        ("5 10\n5 5 5 5 5\n", "10\n"),
        ("3 -3\n-1 -2 -1\n", "2\n"),
        ("4 0\n-1000000000 1000000000 0 0\n", "4\n"),
        (lines(f"{len(_pair_values)} 100000", join(_pair_values)), None),
    ],
    correct=[
        code(
            r"""
            n, x = map(int, input().split())
            a = sorted(map(int, input().split()))
            i, j = 0, n - 1
            pairs = 0
            while i < j:
                if a[i] + a[j] <= x:
                    pairs += j - i
                    i += 1
                else:
                    j -= 1
            print(pairs)
            """
        ),
        code(
            r"""
            import sys
            from bisect import bisect_right

            data = sys.stdin.read().split()
            n, x = int(data[0]), int(data[1])
            values = sorted(map(int, data[2 : 2 + n]))
            total = 0
            for i, v in enumerate(values):
                total += max(0, bisect_right(values, x - v, i + 1) - (i + 1))
            print(total)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from bisect import bisect_right

            n, x = map(int, input().split())
            a = sorted(map(int, input().split()))
            total = 0
            for v in a:
                total += bisect_right(a, x - v)
            print(total // 2)
            """
        ),
        code(
            r"""
            n, x = map(int, input().split())
            a = list(map(int, input().split()))
            count = 0
            for i in range(n):
                for j in range(i + 1, n):
                    if a[i] + a[j] <= x:
                        count += 1
            print(count)
            """
        ),
        code(
            r"""
            n, x = map(int, input().split())
            a = sorted(map(int, input().split()))
            i, j = 0, n - 1
            pairs = 0
            while i < j:
                if a[i] + a[j] < x:
                    pairs += j - i
                    i += 1
                else:
                    j -= 1
            print(pairs)
            """
        ),
    ],
    tags=["binary search", "sortings", "two pointers"],
    rating=1300,
    slow=(1,),
)

_window_values = _rng.ints(5000, -(10**4), 10**4)

BEST_WINDOW = Problem(
    slug="best_window",
    description=text(
        """
        Find the largest sum of k consecutive elements of an array.

        Input

        The first line contains n and k (1 ≤ k ≤ n ≤ 2·10^5). The second line contains n
        integers a_i (|a_i| ≤ 10^9).

        Output

        Print the maximum of a_i + a_(i+1) + ... + a_(i+k-1) over all valid i.
        """
    ),
    public_tests=[("5 2\n1 -2 3 4 -1\n", "7\n"), ("3 3\n-1 -2 -3\n", "-6\n")],
    private_tests=[
        ("1 1\n-5\n", "-5\n"),
        ("4 1\n-3 -1 -2 -4\n", "-1\n"),
        ("6 3\n5 5 5 -100 1 1\n", "15\n"),
        ("3 2\n1000000000 1000000000 1000000000\n", "2000000000\n"),
        (lines(f"{len(_window_values)} 37", join(_window_values)), None),
    ],
    correct=[
        code(
            r"""
            n, k = map(int, input().split())
            a = list(map(int, input().split()))
            window = sum(a[:k])
            best = window
            for i in range(k, n):
                window += a[i] - a[i - k]
                best = max(best, window)
            print(best)
            """
        ),
        code(
            r"""
            import sys
            from itertools import accumulate

            data = sys.stdin.buffer.read().split()
            n, k = int(data[0]), int(data[1])
            p = list(accumulate(map(int, data[2 : 2 + n]), initial=0))
            print(max(p[i + k] - p[i] for i in range(n - k + 1)))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, k = map(int, input().split())
            a = list(map(int, input().split()))
            best = 0
            window = 0
            for i in range(n):
                window += a[i]
                if i >= k:
                    window -= a[i - k]
                if i >= k - 1:
                    best = max(best, window)
            print(best)
            """
        ),
        code(
            r"""
            n, k = map(int, input().split())
            a = list(map(int, input().split()))
            window = sum(a[:k])
            best = float("-inf")
            for i in range(k, n):
                window += a[i] - a[i - k]
                best = max(best, window)
            print(best)
            """
        ),
    ],
    tags=["two pointers", "implementation"],
    rating=800,
)

_budget_values = _rng.ints(5000, 0, 1000)

LONGEST_UNDER_BUDGET = Problem(
    slug="longest_under_budget",
    description=text(
        """
        Given n non-negative integers and a budget s, find the length of the longest
        block of consecutive elements whose sum is at most s. Print 0 if every element
        alone exceeds s.

        Input

        The first line contains n and s (1 ≤ n ≤ 2·10^5, 0 ≤ s ≤ 10^18). The second line
        contains n integers a_i (0 ≤ a_i ≤ 10^9).

        Output

        Print the maximum length.
        """
    ),
    public_tests=[("5 7\n2 1 5 1 3\n", "3\n"), ("3 1\n2 3 4\n", "0\n")],
    private_tests=[
        ("1 0\n0\n", "1\n"),
        ("4 10\n0 0 0 0\n", "4\n"),
        ("6 5\n1 1 1 9 1 1\n", "3\n"),
        ("3 1000000000000000000\n1000000000 1000000000 1000000000\n", "3\n"),
        ("5 4\n5 2 2 5 4\n", "2\n"),
        (lines(f"{len(_budget_values)} 20000", join(_budget_values)), None),
    ],
    correct=[
        code(
            r"""
            n, s = map(int, input().split())
            a = list(map(int, input().split()))
            left = 0
            total = 0
            best = 0
            for right in range(n):
                total += a[right]
                while total > s:
                    total -= a[left]
                    left += 1
                best = max(best, right - left + 1)
            print(best)
            """
        ),
        code(
            r"""
            import sys
            from bisect import bisect_left
            from itertools import accumulate

            data = sys.stdin.read().split()
            n, s = int(data[0]), int(data[1])
            prefix = list(accumulate((int(v) for v in data[2 : 2 + n]), initial=0))
            best = 0
            for r in range(1, n + 1):
                l = bisect_left(prefix, prefix[r] - s, 0, r + 1)
                best = max(best, r - l)
            print(best)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, s = map(int, input().split())
            a = list(map(int, input().split()))
            left = 0
            total = 0
            best = 0
            for right in range(n):
                total += a[right]
                while total > s:
                    total -= a[left]
                    left += 1
                best = max(best, right - left)
            print(best)
            """
        ),
        code(
            r"""
            n, s = map(int, input().split())
            a = list(map(int, input().split()))
            total = 0
            length = 0
            best = 0
            for x in a:
                if total + x <= s:
                    total += x
                    length += 1
                else:
                    total = x if x <= s else 0
                    length = 1 if x <= s else 0
                best = max(best, length)
            print(best)
            """
        ),
    ],
    tags=["two pointers", "binary search"],
    rating=1200,
)

_balance_values = _rng.ints(5000, -100, 100)

BALANCE_POINT = Problem(
    slug="balance_point",
    description=text(
        """
        An index i (1 ≤ i ≤ n) is a balance point of an array if the sum of the
        elements to the left of it equals the sum of the elements to the right of it
        (an empty side sums to 0). Print the smallest balance point, or -1 if there is
        none.

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). The second line contains n integers
        a_i (|a_i| ≤ 10^9).

        Output

        Print the smallest balance point or -1.
        """
    ),
    public_tests=[("7\n-7 1 5 2 -4 3 0\n", "4\n"), ("3\n1 2 3\n", "-1\n")],
    private_tests=[
        ("1\n5\n", "1\n"),
        ("3\n0 0 0\n", "1\n"),
        ("2\n1 -1\n", "-1\n"),
        ("5\n2 0 0 0 2\n", "2\n"),
        ("4\n1 2 3 3\n", "3\n"),
        (lines(len(_balance_values), join(_balance_values)), None),
        (lines(5001, join([1] * 2500 + [7] + [1] * 2500)), "2501\n"),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            total = sum(a)
            left = 0
            answer = -1
            for i, x in enumerate(a):
                if left == total - left - x:
                    answer = i + 1
                    break
                left += x
            print(answer)
            """
        ),
        code(
            r"""
            import sys
            from itertools import accumulate

            data = sys.stdin.read().split()
            n = int(data[0])
            a = [int(v) for v in data[1 : n + 1]]
            prefix = [0, *accumulate(a)]
            total = prefix[-1]
            print(next((i for i in range(1, n + 1) if prefix[i - 1] == total - prefix[i]), -1))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            total = sum(a)
            left = 0
            for i in range(n):
                left += a[i]
                if left == total - left:
                    print(i + 1)
                    break
            else:
                print(-1)
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            total = sum(a)
            left = 0
            for i in range(n):
                if left == total - left - a[i]:
                    print(i)
                    break
                left += a[i]
            else:
                print(-1)
            """
        ),
    ],
    tags=["implementation"],
    rating=900,
)

PROBLEMS = [
    RANGE_SUM_QUERIES,
    SUBARRAYS_WITH_SUM,
    EATING_SPEED,
    PAIRS_WITH_SMALL_SUM,
    BEST_WINDOW,
    LONGEST_UNDER_BUDGET,
    BALANCE_POINT,
]
