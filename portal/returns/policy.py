"""Return eligibility per item.

STUB (issue 4): every item is eligible. The returns issue replaces this module with the real policy
(windows, non-returnable categories, cross-border rules); callers already use `evaluate` and `Decision`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    eligible: bool
    reason: str = ""


def evaluate(order, item, reason, today):
    """Whether `item` of `order` may be returned for `reason` on `today`. Stub: always eligible."""
    return Decision(eligible=True)
