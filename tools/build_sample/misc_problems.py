"""Counting, stack and simulation problems of the sample."""

from __future__ import annotations

from tools.build_sample._model import Lcg, Problem, code, join, lines, text

_rng = Lcg(7007)

_vocabulary = [_rng.word(_rng.randint(1, 6), "abcdefgh") for _ in range(300)]
_text_words = [_vocabulary[_rng.randint(0, 299)] for _ in range(20000)]

MOST_FREQUENT_WORD = Problem(
    slug="most_frequent_word",
    description=text(
        """
        Given n words, print the word that occurs most often and the number of its
        occurrences. If several words are equally frequent, print the lexicographically
        smallest of them.

        Input

        The first line contains n (1 ≤ n ≤ 10^5). The second line contains n words of
        lowercase English letters separated by spaces (each at most 10 letters).

        Output

        Print the word and its count separated by a space.
        """
    ),
    public_tests=[
        ("6\napple banana apple cherry banana apple\n", "apple 3\n"),
        ("4\nb a b a\n", "a 2\n"),
    ],
    private_tests=[
        ("1\nzebra\n", "zebra 1\n"),
        ("5\nc b a d e\n", "a 1\n"),
        ("7\nzz zz yy yy xx ab ab\n", "ab 2\n"),
        (lines(len(_text_words), join(_text_words)), None),
    ],
    correct=[
        code(
            r"""
            from collections import Counter

            n = int(input())
            counts = Counter(input().split())
            word = min(counts, key=lambda w: (-counts[w], w))
            print(word, counts[word])
            """
        ),
        code(
            r"""
            import sys

            words = sys.stdin.read().split()[1:]
            freq = {}
            for w in words:
                freq[w] = freq.get(w, 0) + 1
            ranked = sorted(freq.items(), key=lambda item: (-item[1], item[0]))
            print(ranked[0][0], ranked[0][1])
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from collections import Counter

            n = int(input())
            word, count = Counter(input().split()).most_common(1)[0]
            print(word, count)
            """
        ),
        code(
            r"""
            from collections import Counter

            n = int(input())
            counts = Counter(input().split())
            word = max(counts, key=lambda w: (counts[w], w))
            print(word, counts[word])
            """
        ),
    ],
    tags=["implementation", "strings", "hashing"],
    rating=900,
)

_flat = [1] * 40000 + [2]
_ng_values = _rng.ints(5000, 1, 1000)

NEXT_GREATER = Problem(
    slug="next_greater",
    description=text(
        """
        For every element of the array print the first element to its right that is
        strictly greater than it, or -1 if there is none.

        Input

        The first line contains n (1 ≤ n ≤ 2·10^5). The second line contains n integers
        a_i (1 ≤ a_i ≤ 10^9).

        Output

        Print n integers separated by spaces.
        """
    ),
    public_tests=[("4\n2 1 4 3\n", "4 4 -1 -1\n"), ("3\n5 5 5\n", "-1 -1 -1\n")],
    private_tests=[
        ("1\n7\n", "-1\n"),
        ("5\n1 2 3 4 5\n", "2 3 4 5 -1\n"),
        ("6\n3 3 1 3 4 2\n", "4 4 3 4 -1 -1\n"),
        (lines(len(_ng_values), join(_ng_values)), None),
        (lines(len(_flat), join(_flat)), None),
    ],
    correct=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            answer = [-1] * n
            stack = []
            for i in range(n - 1, -1, -1):
                while stack and stack[-1] <= a[i]:
                    stack.pop()
                if stack:
                    answer[i] = stack[-1]
                stack.append(a[i])
            print(*answer)
            """
        ),
        code(
            r"""
            import sys

            data = sys.stdin.buffer.read().split()
            n = int(data[0])
            values = list(map(int, data[1 : n + 1]))
            result = [-1] * n
            waiting = []
            for i, v in enumerate(values):
                while waiting and values[waiting[-1]] < v:
                    result[waiting.pop()] = v
                waiting.append(i)
            sys.stdout.write(" ".join(map(str, result)) + "\n")
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            answer = [-1] * n
            stack = []
            for i in range(n - 1, -1, -1):
                while stack and stack[-1] < a[i]:
                    stack.pop()
                if stack:
                    answer[i] = stack[-1]
                stack.append(a[i])
            print(*answer)
            """
        ),
        code(
            r"""
            n = int(input())
            a = list(map(int, input().split()))
            res = []
            for i in range(n):
                found = -1
                for j in range(i + 1, n):
                    if a[j] > a[i]:
                        found = a[j]
                        break
                res.append(found)
            print(*res)
            """
        ),
    ],
    tags=["data structures", "implementation"],
    rating=1300,
    slow=(1,),
)


def _rpn_chain(length: int) -> str:
    """Return a left-deep expression whose running value stays within ±10^15."""
    value = _rng.randint(1, 9)
    tokens = [str(value)]
    for _ in range(length):
        operand = _rng.randint(-9, 9) or 7
        op = "+-*/"[_rng.randint(0, 3)]
        if op == "*" and abs(value * operand) > 10**15:
            op = "/"
        if op == "+":
            value += operand
        elif op == "-":
            value -= operand
        elif op == "*":
            value *= operand
        else:
            quotient = abs(value) // abs(operand)
            value = quotient if (value < 0) == (operand < 0) else -quotient
        tokens += [str(operand), op]
    return " ".join(tokens) + "\n"


RPN_EVALUATION = Problem(
    slug="rpn_evaluation",
    description=text(
        """
        Evaluate an expression written in reverse Polish notation: operands come before
        their operator, e.g. "3 4 + 2 *" means (3 + 4) · 2. The operators are + - * /,
        where / is integer division rounding toward zero (as in C: 7 / -2 = -3).

        Input

        One line with at most 10^4 tokens separated by spaces: integers and operators.
        The expression is valid, no division by zero occurs, and every intermediate
        value lies in [-10^18, 10^18].

        Output

        Print the value of the expression.
        """
    ),
    public_tests=[("3 4 + 2 *\n", "14\n"), ("7 -2 /\n", "-3\n")],
    private_tests=[
        ("5\n", "5\n"),
        ("-7 2 /\n", "-3\n"),
        ("1000000000000000000 3 /\n", "333333333333333333\n"),
        ("2 3 -\n", "-1\n"),
        ("-9 10 / 4 *\n", "0\n"),
        (_rpn_chain(40), None),
        (_rpn_chain(4000), None),
    ],
    correct=[
        code(
            r"""
            tokens = input().split()
            stack = []
            for tok in tokens:
                if tok in ("+", "-", "*", "/"):
                    b = stack.pop()
                    a = stack.pop()
                    if tok == "+":
                        stack.append(a + b)
                    elif tok == "-":
                        stack.append(a - b)
                    elif tok == "*":
                        stack.append(a * b)
                    else:
                        q = abs(a) // abs(b)
                        stack.append(q if (a < 0) == (b < 0) else -q)
                else:
                    stack.append(int(tok))
            print(stack[0])
            """
        ),
        code(
            r"""
            import operator
            import sys


            def c_div(a, b):
                if (a >= 0) == (b > 0):
                    return a // b
                return -(-a // b)


            OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": c_div}
            values = []
            for token in sys.stdin.read().split():
                if token in OPS:
                    right = values.pop()
                    values.append(OPS[token](values.pop(), right))
                else:
                    values.append(int(token))
            print(values[-1])
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            stack = []
            for tok in input().split():
                if tok in "+-*/" and len(tok) == 1:
                    b, a = stack.pop(), stack.pop()
                    if tok == "+":
                        stack.append(a + b)
                    elif tok == "-":
                        stack.append(a - b)
                    elif tok == "*":
                        stack.append(a * b)
                    else:
                        stack.append(a // b)
                else:
                    stack.append(int(tok))
            print(stack[0])
            """
        ),
        code(
            r"""
            stack = []
            for tok in input().split():
                if tok in ("+", "-", "*", "/"):
                    b = stack.pop()
                    a = stack.pop()
                    if tok == "+":
                        stack.append(a + b)
                    elif tok == "-":
                        stack.append(a - b)
                    elif tok == "*":
                        stack.append(a * b)
                    else:
                        stack.append(int(a / b))
                else:
                    stack.append(int(tok))
            print(stack[0])
            """
        ),
        code(
            r"""
            stack = []
            for tok in input().split():
                if tok == "+":
                    stack.append(stack.pop() + stack.pop())
                elif tok == "-":
                    stack.append(stack.pop() - stack.pop())
                elif tok == "*":
                    stack.append(stack.pop() * stack.pop())
                elif tok == "/":
                    b, a = stack.pop(), stack.pop()
                    q = abs(a) // abs(b)
                    stack.append(q if a * b >= 0 else -q)
                else:
                    stack.append(int(tok))
            print(stack[0])
            """
        ),
    ],
    tags=["data structures", "expression parsing", "math"],
    rating=1200,
)

ROBOT_WALK = Problem(
    slug="robot_walk",
    description=text(
        """
        A robot starts at a cell of an infinite grid and executes a string of commands:
        U, D, L and R move it one cell up, down, left or right. How many different cells
        does it visit, counting the starting cell?

        Input

        The only line contains the commands: 1 to 10^5 characters U, D, L, R.

        Output

        Print the number of distinct visited cells.
        """
    ),
    public_tests=[("URDL\n", "4\n"), ("UUUU\n", "5\n")],
    private_tests=[
        ("L\n", "2\n"),
        ("LRLRLR\n", "2\n"),
        ("U" * 1000 + "R" + "D" * 1000 + "\n", "2002\n"),
        (_rng.word(50000, "UDLR") + "\n", None),
        ("R" * 3000 + "U" * 3000 + "\n", "6001\n"),
    ],
    correct=[
        code(
            r"""
            s = input().strip()
            x = y = 0
            visited = {(0, 0)}
            step = {"U": (0, 1), "D": (0, -1), "L": (-1, 0), "R": (1, 0)}
            for c in s:
                dx, dy = step[c]
                x += dx
                y += dy
                visited.add((x, y))
            print(len(visited))
            """
        ),
        code(
            r"""
            import sys

            moves = {"U": 1j, "D": -1j, "L": -1, "R": 1}
            position = 0
            seen = {position}
            for command in sys.stdin.readline().strip():
                position += moves[command]
                seen.add(position)
            print(len(seen))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            s = input().strip()
            x = y = 0
            visited = set()
            for c in s:
                if c == "U":
                    y += 1
                elif c == "D":
                    y -= 1
                elif c == "L":
                    x -= 1
                else:
                    x += 1
                visited.add((x, y))
            print(len(visited))
            """
        ),
        code(
            r"""
            s = input().strip()
            x = y = 0
            seen = {0}
            for c in s:
                if c == "U":
                    y += 1
                elif c == "D":
                    y -= 1
                elif c == "L":
                    x -= 1
                elif c == "R":
                    x += 1
                seen.add(x * 1000 + y)
            print(len(seen))
            """
        ),
    ],
    tags=["implementation", "hashing"],
    rating=900,
)

_kids = _rng.ints(100, 1, 100)

CANDY_QUEUE = Problem(
    slug="candy_queue",
    description=text(
        """
        n children stand in a queue, numbered 1 to n from the front; child i wants at
        least a_i candies. A teacher repeatedly gives m candies to the child at the front
        of the queue. If that child now has at least a_i candies, the child goes home;
        otherwise the child moves to the end of the queue. Which child goes home last?

        Input

        The first line contains n and m (1 ≤ n ≤ 100, 1 ≤ m ≤ 100). The second line
        contains n integers a_i (1 ≤ a_i ≤ 100).

        Output

        Print the number of the child who goes home last.
        """
    ),
    public_tests=[("5 2\n1 3 1 4 2\n", "4\n"), ("6 4\n1 1 2 2 3 3\n", "6\n")],
    private_tests=[
        ("1 5\n10\n", "1\n"),
        ("2 2\n4 3\n", "2\n"),
        ("3 100\n100 99 1\n", "3\n"),
        ("4 1\n100 100 100 100\n", "4\n"),
        (lines("100 7", join(_kids)), None),
        (lines("100 1", join(_kids)), None),
    ],
    correct=[
        code(
            r"""
            from collections import deque

            n, m = map(int, input().split())
            a = list(map(int, input().split()))
            queue = deque((i + 1, need) for i, need in enumerate(a))
            last = 0
            while queue:
                child, need = queue.popleft()
                if need <= m:
                    last = child
                else:
                    queue.append((child, need - m))
            print(last)
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            a = list(map(int, input().split()))
            rounds = [(x + m - 1) // m for x in a]
            most = max(rounds)
            print(max(i for i in range(n) if rounds[i] == most) + 1)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            n, m = map(int, input().split())
            a = list(map(int, input().split()))
            best = max(a)
            print(n - a[::-1].index(best))
            """
        ),
        code(
            r"""
            n, m = map(int, input().split())
            a = list(map(int, input().split()))
            rounds = [(x + m - 1) // m for x in a]
            print(rounds.index(max(rounds)) + 1)
            """
        ),
    ],
    tags=["implementation", "math"],
    rating=1000,
)

PROBLEMS = [
    MOST_FREQUENT_WORD,
    NEXT_GREATER,
    RPN_EVALUATION,
    ROBOT_WALK,
    CANDY_QUEUE,
]
