"""Arithmetic and number-theory problems of the sample (Codeforces div. 2 A/B level)."""

from __future__ import annotations

from tools.build_sample._model import Lcg, Problem, code, join, lines, text

_rng = Lcg(1001)

EVEN_SPLIT = Problem(
    slug="even_split",
    description=text(
        """
        A bakery sells loaves of bread weighing w grams each. Two friends buy a loaf and
        want to cut it into two pieces such that each piece weighs a positive even number
        of grams (the pieces need not be equal). For each of t loaves decide whether such
        a cut exists.

        Input

        The first line contains an integer t (1 ≤ t ≤ 100). Each of the next t lines
        contains one integer w (1 ≤ w ≤ 10^9) — the weight of a loaf.

        Output

        For each loaf print YES if it can be cut as required and NO otherwise.
        """
    ),
    public_tests=[("3\n8\n5\n2\n", "YES\nNO\nNO\n"), ("1\n4\n", "YES\n")],
    private_tests=[
        ("1\n1\n", "NO\n"),
        ("1\n2\n", "NO\n"),
        ("5\n3\n6\n1000000000\n999999999\n100\n", "NO\nYES\nYES\nNO\nYES\n"),
        (lines(8, 1, 2, 3, 4, 5, 6, 7, 8), "NO\nNO\nNO\nYES\nNO\nYES\nNO\nYES\n"),
    ],
    correct=[
        code(
            r"""
            t = int(input())
            for _ in range(t):
                w = int(input())
                if w % 2 == 0 and w > 2:
                    print("YES")
                else:
                    print("NO")
            """
        ),
        code(
            r"""
            import sys

            data = sys.stdin.read().split()
            answers = []
            for w in map(int, data[1:]):
                answers.append("NO" if w < 4 or w & 1 else "YES")
            print("\n".join(answers))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            t = int(input())
            for _ in range(t):
                w = int(input())
                print("YES" if w % 2 == 0 else "NO")
            """
        ),
        code(
            r"""
            import sys

            input = sys.stdin.readline
            for _ in range(int(input())):
                w = int(input())
                print("YES" if w >= 2 and w % 2 == 0 else "NO")
            """
        ),
        code(
            r"""
            t = int(input())
            for _ in range(t):
                w = int(input())
                print("YES" if w > 2 or w % 2 == 0 else "NO")
            """
        ),
    ],
    tags=["math", "brute force"],
    rating=800,
)

TILE_COVER = Problem(
    slug="tile_cover",
    description=text(
        """
        A rectangular courtyard measures n by m metres. It must be paved with square
        slabs of side a metres. Slabs may not be cut, their sides must be parallel to the
        sides of the courtyard, and they may stick out beyond its border, but the whole
        courtyard must be covered. What is the smallest number of slabs needed?

        Input

        The only line contains three integers n, m and a (1 ≤ n, m, a ≤ 10^18).

        Output

        Print the smallest number of slabs.
        """
    ),
    public_tests=[("6 6 4\n", "4\n"), ("1 1 1\n", "1\n")],
    private_tests=[
        ("1000000000 1000000000 1\n", "1000000000000000000\n"),
        ("999999999999999999 1 1\n", "999999999999999999\n"),
        ("5 7 10\n", "1\n"),
        ("12 8 4\n", "6\n"),
        ("1000000000000000000 1000000000000000000 3\n", None),
        ("999999999999999999 999999999999999997 2\n", None),
    ],
    correct=[
        code(
            r"""
            n, m, a = map(int, input().split())
            print(((n + a - 1) // a) * ((m + a - 1) // a))
            """
        ),
        code(
            r"""
            import sys


            def ceil_div(x, y):
                return -(-x // y)


            n, m, a = map(int, sys.stdin.readline().split())
            print(ceil_div(n, a) * ceil_div(m, a))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            import math

            n, m, a = map(int, input().split())
            print(math.ceil(n / a) * math.ceil(m / a))
            """
        ),
        code(
            r"""
            n, m, a = map(int, input().split())
            print((n // a + 1) * (m // a + 1))
            """
        ),
        code(
            r"""
            n, m, a = map(int, input().split())
            area = n * m
            slab = a * a
            print((area + slab - 1) // slab)
            """
        ),
    ],
    tags=["math"],
    rating=1000,
)

RANGE_SUM = Problem(
    slug="consecutive_sum",
    description=text(
        """
        For each of t queries you are given two integers l and r. Print the sum of all
        integers from l to r inclusive: l + (l + 1) + ... + r.

        Input

        The first line contains t (1 ≤ t ≤ 1000). Each of the next t lines contains two
        integers l and r (-10^18 ≤ l ≤ r ≤ 10^18).

        Output

        For each query print the sum on its own line.
        """
    ),
    public_tests=[("2\n1 5\n-3 4\n", "15\n4\n"), ("1\n7 7\n", "7\n")],
    private_tests=[
        ("1\n-1000000000000000000 1000000000000000000\n", "0\n"),
        ("1\n1 1000000000000000000\n", None),
        ("3\n-5 -1\n0 0\n-10 3\n", "-15\n0\n-49\n"),
        ("1\n999999999999999999 1000000000000000000\n", "1999999999999999999\n"),
        (
            lines(
                200,
                *(f"{lo} {lo + _rng.randint(0, 10**18)}" for lo in _rng.ints(200, -(10**18), 0)),
            ),
            None,
        ),
    ],
    correct=[
        code(
            r"""
            t = int(input())
            for _ in range(t):
                l, r = map(int, input().split())
                print((l + r) * (r - l + 1) // 2)
            """
        ),
        code(
            r"""
            import sys


            def triangular(x):
                return x * (x + 1) // 2


            def main():
                data = sys.stdin.read().split()
                t = int(data[0])
                out = []
                for i in range(t):
                    l = int(data[1 + 2 * i])
                    r = int(data[2 + 2 * i])
                    out.append(str(triangular(r) - triangular(l - 1)))
                sys.stdout.write("\n".join(out) + "\n")


            main()
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            t = int(input())
            for _ in range(t):
                l, r = map(int, input().split())
                print((l + r) * (r - l) // 2)
            """
        ),
        code(
            r"""
            t = int(input())
            for _ in range(t):
                l, r = map(int, input().split())
                print(int((l + r) * (r - l + 1) / 2))
            """
        ),
        code(
            r"""
            t = int(input())
            for _ in range(t):
                l, r = map(int, input().split())
                print(sum(range(l, r + 1)))
            """
        ),
    ],
    tags=["math"],
    rating=900,
    slow=(2,),
)

ALTERNATING_SUM = Problem(
    slug="alternating_sum",
    description=text(
        """
        For a positive integer n define f(n) = -1 + 2 - 3 + 4 - ... + (-1)^n · n, that
        is, odd numbers are subtracted and even numbers are added. Compute f(n).

        Input

        The only line contains an integer n (1 ≤ n ≤ 10^15).

        Output

        Print f(n).
        """
    ),
    public_tests=[("4\n", "2\n"), ("5\n", "-3\n")],
    private_tests=[
        ("1\n", "-1\n"),
        ("2\n", "1\n"),
        ("1000000000000000\n", "500000000000000\n"),
        ("999999999999999\n", "-500000000000000\n"),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            if n % 2 == 0:
                print(n // 2)
            else:
                print(-(n + 1) // 2)
            """
        ),
        code(
            r"""
            n = int(input())
            print(n // 2 - (n % 2) * n)
            """
        ),
        code(
            r"""
            import sys

            n = int(sys.stdin.readline())
            print(n // 2 if n % 2 == 0 else -n // 2)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            total = 0
            for i in range(1, n + 1):
                if i % 2:
                    total -= i
                else:
                    total += i
            print(total)
            """
        ),
        code(
            r"""
            n = int(input())
            if n % 2 == 0:
                print(n // 2)
            else:
                print(-(n // 2))
            """
        ),
        code(
            r"""
            n = int(input())
            print(n // 2 if n % 2 == 0 else int(-n / 2))
            """
        ),
    ],
    tags=["math", "implementation"],
    rating=800,
    slow=(0,),
)

MINUTES_TO_MIDNIGHT = Problem(
    slug="minutes_to_midnight",
    description=text(
        """
        A digital clock shows the time as h hours and m minutes in the 24-hour format.
        For each of t moments print how many minutes remain until the clock shows 00:00
        next. If the clock shows exactly 00:00, print 0.

        Input

        The first line contains t (1 ≤ t ≤ 1440). Each of the next t lines contains two
        integers h and m (0 ≤ h < 24, 0 ≤ m < 60).

        Output

        For each moment print the number of minutes until midnight.
        """
    ),
    public_tests=[("3\n23 55\n23 0\n0 1\n", "5\n60\n1439\n"), ("1\n0 0\n", "0\n")],
    private_tests=[
        ("2\n12 0\n23 59\n", "720\n1\n"),
        ("4\n0 0\n0 59\n1 0\n13 37\n", "0\n1381\n1380\n623\n"),
        ("1\n6 30\n", "1050\n"),
        (lines(1440, *(f"{i // 60} {i % 60}" for i in range(1440))), None),
    ],
    correct=[
        code(
            r"""
            t = int(input())
            for _ in range(t):
                h, m = map(int, input().split())
                print((1440 - h * 60 - m) % 1440)
            """
        ),
        code(
            r"""
            import sys

            lines = sys.stdin.read().splitlines()
            result = []
            for line in lines[1:]:
                if not line.strip():
                    continue
                h, m = map(int, line.split())
                passed = h * 60 + m
                result.append(0 if passed == 0 else 24 * 60 - passed)
            print(*result, sep="\n")
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            t = int(input())
            for _ in range(t):
                h, m = map(int, input().split())
                print(1440 - h * 60 - m)
            """
        ),
        code(
            r"""
            t = int(input())
            for _ in range(t):
                h, m = map(int, input().split())
                print((23 - h) * 60 + (59 - m))
            """
        ),
        code(
            r"""
            t = int(input())
            for _ in range(t):
                h, m = map(int, input().split())
                print((1440 - h * 60 + m) % 1440)
            """
        ),
    ],
    tags=["math", "implementation"],
    rating=800,
)

_product_values = _rng.ints(25000, -9999, 9999)

MAX_PAIR_PRODUCT = Problem(
    slug="max_pair_product",
    description=text(
        """
        You are given n integers a_1, ..., a_n. Choose two of them with different indices
        so that their product is as large as possible, and print that product.

        Input

        The first line contains n (2 ≤ n ≤ 2·10^5). The second line contains n integers
        a_i (-10^9 ≤ a_i ≤ 10^9).

        Output

        Print the largest product a_i · a_j over all i ≠ j.
        """
    ),
    public_tests=[("4\n-10 -3 5 6\n", "30\n"), ("3\n-10 -9 1\n", "90\n")],
    private_tests=[
        ("2\n-3 5\n", "-15\n"),
        ("5\n0 0 -1 -1 0\n", "1\n"),
        ("2\n1000000000 1000000000\n", "1000000000000000000\n"),
        ("3\n-1000000000 0 1000000000\n", "0\n"),
        (lines(len(_product_values), join(_product_values)), None),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            a = sorted(map(int, input().split()))
            print(max(a[0] * a[1], a[-1] * a[-2]))
            """
        ),
        code(
            r"""
            import heapq
            import sys

            data = sys.stdin.buffer.read().split()
            values = list(map(int, data[1:]))
            hi1, hi2 = heapq.nlargest(2, values)
            lo1, lo2 = heapq.nsmallest(2, values)
            print(max(hi1 * hi2, lo1 * lo2))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            a = sorted(map(int, input().split()))
            print(a[-1] * a[-2])
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            print(max(a[i] * a[j] for i in range(n) for j in range(i + 1, n)))
            """
        ),
        code(
            r"""
            n = int(input())
            a = sorted(map(int, input().split()))
            best = 0
            for p in (a[0] * a[1], a[-1] * a[-2]):
                if p > best:
                    best = p
            print(best)
            """
        ),
    ],
    tags=["greedy", "math", "sortings"],
    rating=900,
    slow=(1,),
)

EQUAL_PACKS = Problem(
    slug="equal_packs",
    description=text(
        """
        There are n boxes, the i-th containing a_i candies. The candies of every box must
        be split into packs, all packs (in all boxes) containing the same number k of
        candies, with no candy left over. Choose the largest possible k and print how
        many packs are made.

        Input

        The first line contains n (1 ≤ n ≤ 10^5). The second line contains n integers
        a_i (1 ≤ a_i ≤ 10^9).

        Output

        Print the number of packs for the largest possible k.
        """
    ),
    public_tests=[("3\n6 9 15\n", "10\n"), ("1\n7\n", "1\n")],
    private_tests=[
        ("2\n999999937 999999929\n", "1999999866\n"),
        ("4\n12 18 24 36\n", "15\n"),
        ("5\n1000000000 1000000000 1000000000 1000000000 1000000000\n", "5\n"),
        ("3\n4 6 9\n", "19\n"),
        (lines(5000, join([x * 6 for x in _rng.ints(5000, 1, 10**8)])), None),
    ],
    correct=[
        code(
            r"""
            import math
            from functools import reduce

            n = int(input())
            a = list(map(int, input().split()))
            g = reduce(math.gcd, a)
            print(sum(a) // g)
            """
        ),
        code(
            r"""
            import sys


            def gcd(x, y):
                while y:
                    x, y = y, x % y
                return x


            data = sys.stdin.read().split()
            n = int(data[0])
            nums = [int(v) for v in data[1 : n + 1]]
            g = 0
            for v in nums:
                g = gcd(g, v)
            print(sum(v // g for v in nums))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            k = min(a)
            print(sum(x // k for x in a))
            """
        ),
        code(
            r"""
            import math

            n = int(input())
            a = list(map(int, input().split()))
            g = math.gcd(a[0], a[1]) if n > 1 else a[0]
            print(sum(a) // g)
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            for k in range(min(a), 0, -1):
                if all(x % k == 0 for x in a):
                    print(sum(a) // k)
                    break
            """
        ),
    ],
    tags=["math", "number theory"],
    rating=1000,
    slow=(2,),
)

_prime_queries = []
for _ in range(3000):
    _a, _b = _rng.randint(1, 10**6), _rng.randint(1, 10**6)
    _prime_queries.append(f"{min(_a, _b)} {max(_a, _b)}")

PRIMES_IN_RANGE = Problem(
    slug="primes_in_range",
    description=text(
        """
        Answer q queries: for each pair l, r print how many prime numbers p satisfy
        l ≤ p ≤ r.

        Input

        The first line contains q (1 ≤ q ≤ 10^4). Each of the next q lines contains two
        integers l and r (1 ≤ l ≤ r ≤ 10^6).

        Output

        For each query print the number of primes in [l, r].
        """
    ),
    public_tests=[("3\n1 10\n11 19\n20 22\n", "4\n4\n0\n"), ("1\n2 2\n", "1\n")],
    private_tests=[
        ("1\n1 1\n", "0\n"),
        (lines(20, *(["1 1000000"] * 20)), "78498\n" * 20),
        ("2\n1 1000000\n999983 1000000\n", "78498\n1\n"),
        ("3\n13 13\n14 16\n2 3\n", "1\n0\n2\n"),
        (lines(len(_prime_queries), *_prime_queries), None),
    ],
    correct=[
        code(
            r"""
            import sys
            from itertools import accumulate

            LIMIT = 10**6
            sieve = bytearray([1]) * (LIMIT + 1)
            sieve[0] = sieve[1] = 0
            for i in range(2, int(LIMIT**0.5) + 1):
                if sieve[i]:
                    sieve[i * i :: i] = bytearray(len(range(i * i, LIMIT + 1, i)))
            prefix = list(accumulate(sieve))

            data = sys.stdin.buffer.read().split()
            q = int(data[0])
            out = []
            for k in range(q):
                l, r = int(data[1 + 2 * k]), int(data[2 + 2 * k])
                out.append(prefix[r] - prefix[l - 1])
            print("\n".join(map(str, out)))
            """
        ),
        code(
            r"""
            from bisect import bisect_left, bisect_right


            def primes_up_to(n):
                is_prime = [True] * (n + 1)
                is_prime[0] = is_prime[1] = False
                p = 2
                while p * p <= n:
                    if is_prime[p]:
                        is_prime[p * p :: p] = [False] * len(range(p * p, n + 1, p))
                    p += 1
                return [i for i, flag in enumerate(is_prime) if flag]


            primes = primes_up_to(1000000)
            q = int(input())
            for _ in range(q):
                l, r = map(int, input().split())
                print(bisect_right(primes, r) - bisect_left(primes, l))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            import sys
            from itertools import accumulate

            LIMIT = 10**6
            sieve = bytearray([1]) * (LIMIT + 1)
            sieve[0] = 0
            for i in range(2, int(LIMIT**0.5) + 1):
                if sieve[i]:
                    sieve[i * i :: i] = bytearray(len(range(i * i, LIMIT + 1, i)))
            prefix = list(accumulate(sieve))
            data = sys.stdin.read().split()
            for k in range(int(data[0])):
                l, r = int(data[1 + 2 * k]), int(data[2 + 2 * k])
                print(prefix[r] - prefix[l - 1])
            """
        ),
        code(
            r"""
            LIMIT = 10**6
            sieve = [True] * (LIMIT + 1)
            sieve[0] = sieve[1] = False
            for i in range(2, 1001):
                if sieve[i]:
                    for j in range(i * i, LIMIT + 1, i):
                        sieve[j] = False
            prefix = [0] * (LIMIT + 1)
            for i in range(1, LIMIT + 1):
                prefix[i] = prefix[i - 1] + sieve[i]
            q = int(input())
            for _ in range(q):
                l, r = map(int, input().split())
                print(prefix[r] - prefix[l])
            """
        ),
        code(
            r"""
            def is_prime(x):
                if x < 2:
                    return False
                d = 2
                while d * d <= x:
                    if x % d == 0:
                        return False
                    d += 1
                return True


            q = int(input())
            for _ in range(q):
                l, r = map(int, input().split())
                print(sum(1 for x in range(l, r + 1) if is_prime(x)))
            """
        ),
    ],
    tags=["math", "number theory", "binary search"],
    rating=1200,
    slow=(2,),
)

_pow_queries = [f"{_rng.randint(0, 10**18)} {_rng.randint(0, 10**18)}" for _ in range(1000)]

MODULAR_POWER = Problem(
    slug="modular_power",
    description=text(
        """
        For each query compute a^b modulo 1 000 000 007. By convention 0^0 = 1.

        Input

        The first line contains t (1 ≤ t ≤ 10^4). Each of the next t lines contains two
        integers a and b (0 ≤ a, b ≤ 10^18).

        Output

        For each query print a^b mod (10^9 + 7).
        """
    ),
    public_tests=[("3\n2 10\n3 0\n10 9\n", "1024\n1\n1000000000\n"), ("1\n0 0\n", "1\n")],
    private_tests=[
        ("2\n1000000007 5\n5 1000000006\n", "0\n1\n"),
        ("1\n123456789012345678 987654321098765432\n", None),
        ("3\n0 5\n1 1000000000000000000\n2 1000000000000000000\n", None),
        (lines(len(_pow_queries), *_pow_queries), None),
    ],
    correct=[
        code(
            r"""
            MOD = 10**9 + 7
            t = int(input())
            for _ in range(t):
                a, b = map(int, input().split())
                print(pow(a, b, MOD))
            """
        ),
        code(
            r"""
            import sys

            MOD = 1_000_000_007


            def power(base, exp):
                base %= MOD
                result = 1
                while exp > 0:
                    if exp & 1:
                        result = result * base % MOD
                    base = base * base % MOD
                    exp >>= 1
                return result


            data = sys.stdin.read().split()
            t = int(data[0])
            print("\n".join(str(power(int(data[2 * i + 1]), int(data[2 * i + 2]))) for i in range(t)))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            MOD = 1e9 + 7
            t = int(input())
            for _ in range(t):
                a, b = map(int, input().split())
                print(pow(a, b, MOD))
            """
        ),
        code(
            r"""
            MOD = 10**9 + 7
            t = int(input())
            for _ in range(t):
                a, b = map(int, input().split())
                a %= MOD
                result = 1
                while b > 1:
                    if b % 2 == 1:
                        result = result * a % MOD
                    a = a * a % MOD
                    b //= 2
                print(result)
            """
        ),
        code(
            r"""
            MOD = 10**9 + 7
            t = int(input())
            for _ in range(t):
                a, b = map(int, input().split())
                if a == 0:
                    print(0)
                else:
                    print(pow(a, b, MOD))
            """
        ),
    ],
    tags=["math", "number theory"],
    rating=1100,
)

DIVISOR_COUNT = Problem(
    slug="divisor_count",
    description=text(
        """
        Print the number of positive divisors of n.

        Input

        The only line contains an integer n (1 ≤ n ≤ 10^11).

        Output

        Print the number of integers d ≥ 1 that divide n.
        """
    ),
    public_tests=[("12\n", "6\n"), ("1\n", "1\n")],
    private_tests=[
        ("36\n", "9\n"),
        ("99999999977\n", "2\n"),
        ("97772875200\n", "4032\n"),
        ("100000000000\n", "144\n"),
        ("97\n", "2\n"),
        ("9998200081\n", "3\n"),
        ("2\n", "2\n"),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            count = 0
            i = 1
            while i * i <= n:
                if n % i == 0:
                    count += 1 if i * i == n else 2
                i += 1
            print(count)
            """
        ),
        code(
            r"""
            import sys

            n = int(sys.stdin.readline())
            answer = 1
            p = 2
            while p * p <= n:
                exponent = 0
                while n % p == 0:
                    n //= p
                    exponent += 1
                answer *= exponent + 1
                p += 1 if p == 2 else 2
            if n > 1:
                answer *= 2
            print(answer)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            import math

            n = int(input())
            count = 0
            for i in range(1, math.isqrt(n) + 1):
                if n % i == 0:
                    count += 2
            print(count)
            """
        ),
        code(
            r"""
            n = int(input())
            answer = 1
            p = 2
            while p * p <= n:
                e = 0
                while n % p == 0:
                    n //= p
                    e += 1
                answer *= e + 1
                p += 1
            print(answer)
            """
        ),
        code(
            r"""
            n = int(input())
            print(sum(1 for d in range(1, n + 1) if n % d == 0))
            """
        ),
    ],
    tags=["math", "number theory"],
    rating=1100,
    slow=(2,),
)

REDUCE_FRACTION = Problem(
    slug="reduce_fraction",
    description=text(
        """
        Given a fraction p/q, print it in lowest terms as a/b where b > 0 and a and b
        have no common divisor greater than 1. Zero is written as 0/1.

        Input

        The only line contains two integers p and q (-10^18 ≤ p, q ≤ 10^18, q ≠ 0).

        Output

        Print the reduced fraction in the form a/b.
        """
    ),
    public_tests=[("6 -8\n", "-3/4\n"), ("10 5\n", "2/1\n")],
    private_tests=[
        ("0 -7\n", "0/1\n"),
        ("-4 -6\n", "2/3\n"),
        ("1000000000000000000 999999999999999999\n", "1000000000000000000/999999999999999999\n"),
        ("-999999999999999999 3\n", "-333333333333333333/1\n"),
        ("123456789123456789 -987654321987654321\n", None),
        ("-1000000000000000000 -1000000000000000000\n", "1/1\n"),
    ],
    correct=[
        code(
            r"""
            import math

            p, q = map(int, input().split())
            if q < 0:
                p, q = -p, -q
            g = math.gcd(p, q)
            print(f"{p // g}/{q // g}")
            """
        ),
        code(
            r"""
            from fractions import Fraction

            p, q = map(int, input().split())
            f = Fraction(p, q)
            print(str(f.numerator) + "/" + str(f.denominator))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from math import gcd

            p, q = map(int, input().split())
            g = gcd(p, q)
            print(f"{p // g}/{q // g}")
            """
        ),
        code(
            r"""
            import math

            p, q = map(int, input().split())
            if q < 0:
                p, q = -p, -q
            g = math.gcd(p, q)
            print(f"{int(p / g)}/{int(q / g)}")
            """
        ),
        code(
            r"""
            import math

            p, q = map(int, input().split())
            g = math.gcd(abs(p), abs(q))
            sign = "-" if p * q < 0 else ""
            print(f"{sign}{abs(p) // g}/{abs(q) // g}" if p else "0")
            """
        ),
    ],
    tags=["math", "number theory"],
    rating=1000,
)

_big_base = "7" + "".join(str(d) for d in _rng.ints(4999, 0, 9)) + "3"
_big_exp = "9" + "".join(str(d) for d in _rng.ints(5998, 0, 9)) + "12"

LAST_DIGIT_POWER = Problem(
    slug="last_digit_power",
    description=text(
        """
        Given two non-negative integers a and b written in decimal, print the last digit
        of a^b. By convention 0^0 = 1.

        Input

        The only line contains a and b (0 ≤ a, b < 10^100000) without leading zeros.

        Output

        Print the last decimal digit of a^b.
        """
    ),
    public_tests=[("2 10\n", "4\n"), ("3 0\n", "1\n")],
    private_tests=[
        ("0 0\n", "1\n"),
        ("0 5\n", "0\n"),
        ("12 4\n", "6\n"),
        ("2 12\n", "6\n"),
        ("5 100\n", "5\n"),
        ("10 1\n", "0\n"),
        (f"{_big_base} {_big_exp}\n", None),
        ("1234567898 3\n", "2\n"),
    ],
    correct=[
        code(
            r"""
            a, b = input().split()
            if b == "0":
                print(1)
            else:
                e = int(b[-2:]) % 4
                if e == 0:
                    e = 4
                print(pow(int(a[-1]), e, 10))
            """
        ),
        code(
            r"""
            import sys

            CYCLES = {
                0: [0], 1: [1], 2: [2, 4, 8, 6], 3: [3, 9, 7, 1], 4: [4, 6],
                5: [5], 6: [6], 7: [7, 9, 3, 1], 8: [8, 4, 2, 6], 9: [9, 1],
            }

            a, b = sys.stdin.read().split()
            if b == "0":
                print(1)
            else:
                cycle = CYCLES[int(a[-1])]
                r = int(b[-2:]) % len(cycle)
                print(cycle[r - 1])
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            a, b = input().split()
            if b == "0":
                print(1)
            else:
                e = int(b[-1]) % 4 or 4
                print(int(a[-1]) ** e % 10)
            """
        ),
        code(
            r"""
            a, b = input().split()
            if b == "0":
                print(1)
            else:
                print(pow(int(a[-1]), int(b[-2:]) % 4, 10))
            """
        ),
        code(
            r"""
            a, b = input().split()
            e = int(b[-2:]) % 4 or 4
            print(pow(int(a[-1]), e, 10))
            """
        ),
    ],
    tags=["math", "number theory", "implementation"],
    rating=1200,
)

PROBLEMS = [
    EVEN_SPLIT,
    TILE_COVER,
    RANGE_SUM,
    ALTERNATING_SUM,
    MINUTES_TO_MIDNIGHT,
    MAX_PAIR_PRODUCT,
    EQUAL_PACKS,
    PRIMES_IN_RANGE,
    MODULAR_POWER,
    DIVISOR_COUNT,
    REDUCE_FRACTION,
    LAST_DIGIT_POWER,
]
