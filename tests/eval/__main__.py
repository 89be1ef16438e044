"""`make eval`: help search, triage and the assistant's scenarios on the evaluation sets, in one run.

    python -m tests.eval [dev]   # "dev": the development sets, the only ones to tune on
"""

import logging
import sys
import time

from tests.eval import assistant, search, triage


def main():
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    split = sys.argv[1] if len(sys.argv) > 1 else "test"
    print(search.run(split))
    print()
    print(triage.run(split))
    print()
    assistant.run(path=assistant.DEV_SCENARIOS if split == "dev" else assistant.SCENARIOS)
    print(f"\n({time.strftime('%Y-%m-%d %H:%M')}, {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
