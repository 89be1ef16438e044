"""`make eval`: help search and triage quality on the evaluation sets in tests/eval/data, in one run."""

import logging
import sys
import time

from tests.eval import search, triage


def main():
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    split = sys.argv[1] if len(sys.argv) > 1 else "test"
    print(search.run(split))
    print()
    print(triage.run())
    print(f"\n({time.strftime('%Y-%m-%d %H:%M')}, {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
