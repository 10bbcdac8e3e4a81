"""String problems of the sample: palindromes, encodings, anagrams, windows, brackets."""

from __future__ import annotations

from tools.build_sample._model import Lcg, Problem, code, lines, text

_rng = Lcg(2002)

_half = _rng.word(20000, "ab")
_pal_yes = _half + "c" + "d" + _half[::-1]
_pal_no = _half + "cd" + "e" + _half[::-1]

ALMOST_PALINDROME = Problem(
    slug="almost_palindrome",
    description=text(
        """
        A string is a palindrome if it reads the same from left to right and from right
        to left. Given a string s, decide whether it can be made a palindrome by deleting
        at most one of its characters.

        Input

        The only line contains s (1 ≤ |s| ≤ 10^5), consisting of lowercase English
        letters.

        Output

        Print YES if deleting at most one character can make s a palindrome, otherwise
        print NO.
        """
    ),
    public_tests=[("abca\n", "YES\n"), ("abc\n", "NO\n")],
    private_tests=[
        ("a\n", "YES\n"),
        ("cbbcc\n", "YES\n"),
        ("ab\n", "YES\n"),
        ("abcdefdba\n", None),
        (_pal_yes + "\n", "YES\n"),
        (_pal_no + "\n", "NO\n"),
        ("racecar\n", "YES\n"),
    ],
    correct=[
        code(
            r"""
            def is_pal(s, i, j):
                while i < j:
                    if s[i] != s[j]:
                        return False
                    i += 1
                    j -= 1
                return True


            s = input().strip()
            i, j = 0, len(s) - 1
            while i < j and s[i] == s[j]:
                i += 1
                j -= 1
            if i >= j or is_pal(s, i + 1, j) or is_pal(s, i, j - 1):
                print("YES")
            else:
                print("NO")
            """
        ),
        code(
            r"""
            import sys

            s = sys.stdin.readline().strip()
            n = len(s)
            mismatch = next((k for k in range(n // 2) if s[k] != s[n - 1 - k]), None)
            if mismatch is None:
                print("YES")
            else:
                candidates = (s[:mismatch] + s[mismatch + 1 :], s[: n - 1 - mismatch] + s[n - mismatch :])
                print("YES" if any(t == t[::-1] for t in candidates) else "NO")
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            s = input().strip()
            i, j = 0, len(s) - 1
            while i < j and s[i] == s[j]:
                i += 1
                j -= 1
            rest = s[i + 1 : j + 1]
            print("YES" if i >= j or rest == rest[::-1] else "NO")
            """
        ),
        code(
            r"""
            s = input().strip()
            n = len(s)
            bad = sum(1 for k in range(n // 2) if s[k] != s[n - 1 - k])
            print("YES" if bad <= 1 else "NO")
            """
        ),
    ],
    tags=["strings", "two pointers", "greedy"],
    rating=1200,
)

_rle_text = "".join(ch * _rng.randint(1, 12) for ch in _rng.word(5000, "abcde"))

RUN_LENGTH_ENCODING = Problem(
    slug="run_length_encoding",
    description=text(
        """
        Run-length encoding replaces every maximal block of equal consecutive letters by
        the letter followed by the length of the block. For example, aaabccddd becomes
        a3b1c2d3. Encode the given string.

        Input

        The only line contains s (1 ≤ |s| ≤ 10^5) of lowercase English letters.

        Output

        Print the run-length encoding of s.
        """
    ),
    public_tests=[("aaabccddd\n", "a3b1c2d3\n"), ("z\n", "z1\n")],
    private_tests=[
        ("abab\n", "a1b1a1b1\n"),
        ("a" * 100000 + "\n", "a100000\n"),
        ("aabaa\n", "a2b1a2\n"),
        (_rle_text[:10000] + "\n", None),
        ("zzzzzzzzzzzy\n", "z11y1\n"),
    ],
    correct=[
        code(
            r"""
            from itertools import groupby

            s = input().strip()
            print("".join(f"{ch}{len(list(group))}" for ch, group in groupby(s)))
            """
        ),
        code(
            r"""
            s = input().strip()
            parts = []
            count = 1
            for i in range(1, len(s) + 1):
                if i < len(s) and s[i] == s[i - 1]:
                    count += 1
                else:
                    parts.append(s[i - 1] + str(count))
                    count = 1
            print("".join(parts))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            s = input().strip()
            out = ""
            count = 1
            for i in range(1, len(s)):
                if s[i] == s[i - 1]:
                    count += 1
                else:
                    out += s[i - 1] + str(count)
                    count = 1
            print(out)
            """
        ),
        code(
            r"""
            from collections import Counter

            s = input().strip()
            counts = Counter(s)
            print("".join(f"{ch}{counts[ch]}" for ch in counts))
            """
        ),
        code(
            r"""
            import re

            s = input().strip()
            print("".join(m.group(0)[0] + str(len(m.group(0))) for m in re.finditer(r"(.)\1+", s)))
            """
        ),
    ],
    tags=["strings", "implementation"],
    rating=800,
)

_anagram_words = [_rng.word(_rng.randint(1, 5), "abc") for _ in range(8000)]

ANAGRAM_CLASSES = Problem(
    slug="anagram_classes",
    description=text(
        """
        Two words are anagrams if one can be obtained from the other by reordering its
        letters. Split the given n words into classes of pairwise anagrams (equal words
        are in the same class). Print the number of classes and the size of the largest
        class.

        Input

        The first line contains n (1 ≤ n ≤ 10^5). Each of the next n lines contains a
        word of lowercase English letters; the total length of the words is at most
        10^5.

        Output

        Print two integers: the number of classes and the size of the largest class.
        """
    ),
    public_tests=[("5\nlisten\nsilent\nenlist\ngoogle\ngogole\n", "2 3\n"), ("1\nabc\n", "1 1\n")],
    private_tests=[
        ("2\naab\nabb\n", "2 1\n"),
        ("2\nad\nbc\n", "2 1\n"),
        ("3\na\na\na\n", "1 3\n"),
        (lines(len(_anagram_words), *_anagram_words), None),
        ("4\nab\nba\ncd\ndc\n", "2 2\n"),
    ],
    correct=[
        code(
            r"""
            from collections import Counter

            n = int(input())
            classes = Counter("".join(sorted(input().strip())) for _ in range(n))
            print(len(classes), max(classes.values()))
            """
        ),
        code(
            r"""
            import sys
            from collections import defaultdict

            words = sys.stdin.read().split()[1:]
            groups = defaultdict(int)
            for word in words:
                letters = [0] * 26
                for ch in word:
                    letters[ord(ch) - ord("a")] += 1
                groups[tuple(letters)] += 1
            print(len(groups), max(groups.values()))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            from collections import Counter

            n = int(input())
            classes = Counter(frozenset(input().strip()) for _ in range(n))
            print(len(classes), max(classes.values()))
            """
        ),
        code(
            r"""
            n = int(input())
            groups = {}
            for _ in range(n):
                key = sum(ord(c) for c in input().strip())
                groups[key] = groups.get(key, 0) + 1
            print(len(groups), max(groups.values()))
            """
        ),
    ],
    tags=["strings", "hashing", "sortings"],
    rating=1000,
)

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

LONGEST_DISTINCT_SUBSTRING = Problem(
    slug="longest_distinct_substring",
    description=text(
        """
        Find the length of the longest substring (a contiguous block of characters) of s
        in which no character occurs twice.

        Input

        The only line contains s (1 ≤ |s| ≤ 10^5), consisting of English letters (both
        cases) and digits. Upper- and lowercase letters are different characters.

        Output

        Print the length of the longest substring with pairwise distinct characters.
        """
    ),
    public_tests=[("abcabcbb\n", "3\n"), ("bbbbb\n", "1\n")],
    private_tests=[
        ("abba\n", "2\n"),
        ("abcdbefg\n", "6\n"),
        ("a\n", "1\n"),
        ("aA1aA1\n", "3\n"),
        (_ALNUM * 2 + "\n", "62\n"),
        (_rng.word(30000, _ALNUM) + "\n", None),
        (_rng.word(30000, "xyz0") + "\n", None),
    ],
    correct=[
        code(
            r"""
            s = input().strip()
            last = {}
            start = 0
            best = 0
            for i, ch in enumerate(s):
                if ch in last and last[ch] >= start:
                    start = last[ch] + 1
                last[ch] = i
                best = max(best, i - start + 1)
            print(best)
            """
        ),
        code(
            r"""
            import sys

            s = sys.stdin.readline().strip()
            window = set()
            left = 0
            best = 0
            for right, ch in enumerate(s):
                while ch in window:
                    window.remove(s[left])
                    left += 1
                window.add(ch)
                if right - left + 1 > best:
                    best = right - left + 1
            print(best)
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            s = input().strip()
            last = {}
            start = 0
            best = 0
            for i, ch in enumerate(s):
                if ch in last:
                    start = last[ch] + 1
                last[ch] = i
                best = max(best, i - start + 1)
            print(best)
            """
        ),
        code(
            r"""
            s = input().strip()
            seen = set()
            start = 0
            best = 0
            for i, ch in enumerate(s):
                if ch in seen:
                    seen = set()
                    start = i
                seen.add(ch)
                best = max(best, i - start + 1)
            print(best)
            """
        ),
    ],
    tags=["strings", "two pointers"],
    rating=1100,
)

_caesar_plain = "".join(
    _rng.word(1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?")
    + (" " if _rng.randint(0, 5) == 0 else "")
    for _ in range(20000)
).strip()

CAESAR_DECODE = Problem(
    slug="caesar_decode",
    description=text(
        """
        A message was encrypted by shifting every English letter k positions forward in
        the alphabet, cyclically (with k = 3, a becomes d and y becomes b); the case of
        each letter was kept and all other characters were left unchanged. Given k and
        the encrypted message, recover the original message.

        Input

        The first line contains k (0 ≤ k ≤ 10^9). The second line contains the encrypted
        message: 1 to 10^5 characters among letters, digits, spaces and the punctuation
        marks . , ! ? — it neither starts nor ends with a space.

        Output

        Print the original message.
        """
    ),
    public_tests=[("3\nKhoor, Zruog!\n", "Hello, World!\n"), ("0\nabc XYZ\n", "abc XYZ\n")],
    private_tests=[
        ("26\nWrap Around zz\n", "Wrap Around zz\n"),
        ("1\nAa Zz 09?\n", "Zz Yy 09?\n"),
        ("1000000000\nThe Quick Brown Fox, 2024!\n", None),
        ("25\nabcdefghijklmnopqrstuvwxyz\n", "bcdefghijklmnopqrstuvwxyza\n"),
        (f"999999999\n{_caesar_plain}\n", None),
    ],
    correct=[
        code(
            r"""
            k = int(input()) % 26
            message = input()
            result = []
            for ch in message:
                if "a" <= ch <= "z":
                    result.append(chr((ord(ch) - ord("a") - k) % 26 + ord("a")))
                elif "A" <= ch <= "Z":
                    result.append(chr((ord(ch) - ord("A") - k) % 26 + ord("A")))
                else:
                    result.append(ch)
            print("".join(result))
            """
        ),
        code(
            r"""
            import string
            import sys

            k = int(sys.stdin.readline()) % 26
            text = sys.stdin.readline().rstrip("\n")
            lower, upper = string.ascii_lowercase, string.ascii_uppercase
            table = str.maketrans(
                lower[k:] + lower[:k] + upper[k:] + upper[:k],
                lower + upper,
            )
            print(text.translate(table))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            k = int(input())
            message = input()
            result = ""
            for ch in message:
                if ch.islower():
                    result += chr((ord(ch) - 97 - k % 26) + 97)
                elif ch.isupper():
                    result += chr((ord(ch) - 65 - k % 26) + 65)
                else:
                    result += ch
            print(result)
            """
        ),
        code(
            r"""
            k = int(input()) % 26
            message = input()
            out = []
            for ch in message:
                if ch.isalpha():
                    out.append(chr((ord(ch) - ord("a") - k) % 26 + ord("a")))
                else:
                    out.append(ch)
            print("".join(out))
            """
        ),
        code(
            r"""
            import string

            k = int(input()) % 26
            message = input()
            lower, upper = string.ascii_lowercase, string.ascii_uppercase
            table = str.maketrans(lower + upper, lower[k:] + lower[:k] + upper[k:] + upper[:k])
            print(message.translate(table))
            """
        ),
    ],
    tags=["strings", "implementation"],
    rating=900,
)

PANGRAM_LINES = Problem(
    slug="pangram_lines",
    description=text(
        """
        A sentence is a pangram if it contains every letter of the English alphabet at
        least once, in upper or lower case. For each of t lines decide whether it is a
        pangram.

        Input

        The first line contains t (1 ≤ t ≤ 100). Each of the next t lines contains
        between 1 and 1000 characters: letters, digits, spaces and punctuation; a line
        neither starts nor ends with a space.

        Output

        For each line print YES if it is a pangram and NO otherwise.
        """
    ),
    public_tests=[
        ("2\nThe quick brown fox jumps over the lazy dog\nHello world\n", "YES\nNO\n"),
        ("1\nABCDEFGHIJKLMNOPQRSTUVWXYZ\n", "YES\n"),
    ],
    private_tests=[
        ("1\nabcdefghijklmnopqrstuvwxy!?.,0123456789\n", "NO\n"),
        ("1\nPack my box with five dozen liquor jugs\n", "YES\n"),
        ("3\na\nZyxwvutsrqponmlkjihgfedcbA\nabc def\n", "NO\nYES\nNO\n"),
        ("1\nSphinx of BLACK QUARTZ, judge my vow.\n", "YES\n"),
    ],
    correct=[
        code(
            r"""
            import string

            t = int(input())
            for _ in range(t):
                line = input()
                print("YES" if set(string.ascii_lowercase) <= set(line.lower()) else "NO")
            """
        ),
        code(
            r"""
            import sys

            rows = sys.stdin.read().split("\n")
            t = int(rows[0])
            for row in rows[1 : t + 1]:
                present = [False] * 26
                for ch in row:
                    if ch.isalpha() and ch.isascii():
                        present[ord(ch.lower()) - ord("a")] = True
                print("YES" if all(present) else "NO")
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            import string

            t = int(input())
            for _ in range(t):
                line = input()
                print("YES" if set(string.ascii_lowercase) <= set(line) else "NO")
            """
        ),
        code(
            r"""
            t = int(input())
            for _ in range(t):
                line = input().lower().replace(" ", "")
                print("YES" if len(set(line)) >= 26 else "NO")
            """
        ),
    ],
    tags=["strings", "implementation"],
    rating=800,
)

_deep = "([{" * 5000 + "}])" * 5000
_mixed = []
for _ in range(200):
    if _rng.randint(0, 1):
        depth = _rng.randint(1, 100)
        opens = _rng.word(depth, "([{")
        _mixed.append(opens + "".join({"(": ")", "[": "]", "{": "}"}[c] for c in reversed(opens)))
    else:
        _mixed.append(_rng.word(_rng.randint(1, 200), "()[]{}"))

BALANCED_BRACKETS = Problem(
    slug="balanced_brackets",
    description=text(
        """
        A bracket sequence of the characters ( ) [ ] { } is balanced if every opening
        bracket is closed by a bracket of the same type and the pairs are properly
        nested. For example, ([]{}) is balanced and ([)] is not. Check each of t
        sequences.

        Input

        The first line contains t (1 ≤ t ≤ 1000). Each of the next t lines contains a
        non-empty bracket sequence; the total length of all sequences is at most 10^5.

        Output

        For each sequence print YES if it is balanced and NO otherwise.
        """
    ),
    public_tests=[("3\n([]{})\n([)]\n((\n", "YES\nNO\nNO\n"), ("1\n{}\n", "YES\n")],
    private_tests=[
        ("2\n)(\n()\n", "NO\nYES\n"),
        ("1\n" + _deep + "\n", "YES\n"),
        ("1\n(((((((((())))))))))[]{}[[{}]]\n", "YES\n"),
        ("4\n]\n[\n{[()()]}\n{[(])}\n", "NO\nNO\nYES\nNO\n"),
        (lines(len(_mixed), *_mixed), None),
    ],
    correct=[
        code(
            r"""
            PAIRS = {")": "(", "]": "[", "}": "{"}

            t = int(input())
            for _ in range(t):
                stack = []
                ok = True
                for ch in input().strip():
                    if ch in "([{":
                        stack.append(ch)
                    elif not stack or stack.pop() != PAIRS[ch]:
                        ok = False
                        break
                print("YES" if ok and not stack else "NO")
            """
        ),
        code(
            r"""
            import sys

            OPEN, CLOSE = "([{", ")]}"


            def balanced(seq):
                stack = []
                for ch in seq:
                    kind = OPEN.find(ch)
                    if kind >= 0:
                        stack.append(kind)
                    elif stack and stack[-1] == CLOSE.index(ch):
                        stack.pop()
                    else:
                        return False
                return len(stack) == 0


            data = sys.stdin.read().split()
            sys.stdout.write("".join("YES\n" if balanced(s) else "NO\n" for s in data[1:]))
            """
        ),
    ],
    incorrect=[
        code(
            r"""
            t = int(input())
            for _ in range(t):
                s = input().strip()
                ok = True
                for o, c in ("()", "[]", "{}"):
                    depth = 0
                    for ch in s:
                        if ch == o:
                            depth += 1
                        elif ch == c:
                            depth -= 1
                            if depth < 0:
                                ok = False
                    if depth != 0:
                        ok = False
                print("YES" if ok else "NO")
            """
        ),
        code(
            r"""
            PAIRS = {")": "(", "]": "[", "}": "{"}

            t = int(input())
            for _ in range(t):
                stack = []
                ok = True
                for ch in input().strip():
                    if ch in "([{":
                        stack.append(ch)
                    elif not stack or stack.pop() != PAIRS[ch]:
                        ok = False
                print("YES" if ok else "NO")
            """
        ),
        code(
            r"""
            match = {")": "(", "]": "[", "}": "{"}
            for _ in range(int(input())):
                stack = []
                good = True
                for ch in input().strip():
                    if ch in match:
                        if stack.pop() != match[ch]:
                            good = False
                    else:
                        stack.append(ch)
                print("YES" if good and not stack else "NO")
            """
        ),
    ],
    tags=["data structures", "expression parsing", "strings"],
    rating=1000,
)

PROBLEMS = [
    ALMOST_PALINDROME,
    RUN_LENGTH_ENCODING,
    ANAGRAM_CLASSES,
    LONGEST_DISTINCT_SUBSTRING,
    CAESAR_DECODE,
    PANGRAM_LINES,
    BALANCED_BRACKETS,
]
