"""The probes count what they send and say so at the end of the run (`make test` prints it)."""

import collections

REQUESTS_SENT = collections.Counter()


def pytest_terminal_summary(terminalreporter):
    for probe, count in sorted(REQUESTS_SENT.items()):
        terminalreporter.write_line(f"{probe}: {count} requests sent")
