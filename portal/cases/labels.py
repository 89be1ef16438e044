"""Words the customer reads for each kind and status of case."""

from portal.i18n import lazy_gettext as _l

KIND_LABELS = {
    "return": _l("Return"),
    "exchange": _l("Exchange"),
    "repair": _l("Repair"),
    "complaint": _l("Complaint"),
}

STATUS_LABELS = {
    "submitted": _l("Received"),
    "acknowledged": _l("Acknowledged"),
    "needs_review": _l("Under review"),
    "escalated": _l("With a person"),
    "answered": _l("Answered"),
    "approved": _l("Approved"),
    "awaiting_item": _l("Waiting for your parcel"),
    "received": _l("Parcel received"),
    "refunded": _l("Refunded"),
    "exchanged": _l("Exchanged"),
    "repaired": _l("Repaired"),
    "rejected": _l("Not approved"),
    "resolved": _l("Resolved"),
    "reopened": _l("Reopened"),
    "closed": _l("Closed"),
}

OUTCOME_LABELS = {
    "refund": _l("Refund to your original payment method"),
    "store_credit": _l("Store credit"),
    "exchange": _l("Exchange for another size or colour"),
    "repair": _l("Repair"),
}
