import sys


def two_sum(values, target):
    seen = {}
    for index, value in enumerate(values):
        if target - value in seen:
            return seen[target - value], index
        seen[value] = index
    return None


n, target = map(int, sys.stdin.readline().split())
values = list(map(int, sys.stdin.readline().split()))
print(two_sum(values[:n], target))
