"""The sample benchmark's work: a fixed amount of CPU-bound arithmetic (a few tenths of a second)."""

import sys


def work(rounds: int = 3_000_000) -> int:
    total = 0
    for i in range(rounds):
        total = (total + i * i) % 1_000_003
    return total


if __name__ == "__main__":
    result = work()
    if "--print" in sys.argv:
        print(result)
