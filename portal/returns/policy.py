"""The return policy as data: windows per reason, categories we cannot take back, fees, refund timing.

`evaluate(order, item, reason, today)` answers for one item, in plain words, with the fee and the refund
estimate. The tables below are the policy; the code only reads them. The README shows them as tables too.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app

from portal import settings as portal_settings
from portal.formatting import format_date
from portal.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class ReasonRule:
    label: str
    window: str  # "change_of_mind" or "quality": which window setting applies
    fee: str  # "change_of_mind" or "none": who pays for the return parcel
    automatic: bool  # approved without a person when every item is eligible


# Why the customer returns it. Our mistakes (quality, damage, wrong item) never cost the customer anything.
REASONS = {
    "no_reason": ReasonRule(_l("I changed my mind"), window="change_of_mind", fee="change_of_mind", automatic=True),
    "size": ReasonRule(_l("Wrong size or fit"), window="change_of_mind", fee="none", automatic=True),
    "quality": ReasonRule(_l("Faulty or poor quality"), window="quality", fee="none", automatic=False),
    "damaged": ReasonRule(_l("Arrived damaged"), window="quality", fee="none", automatic=False),
    "wrong_item": ReasonRule(_l("We sent the wrong item"), window="quality", fee="none", automatic=False),
}
QUALITY_REASONS = frozenset(name for name, rule in REASONS.items() if rule.window == "quality")

# Categories we take back only when something is wrong with them, never for a change of mind or fit.
FINAL_SALE_CATEGORIES = {
    "underwear": _l("Underwear can only be returned if it is faulty, for hygiene reasons."),
    "custom": _l("Custom-made items can only be returned if they are faulty."),
}
# Categories we take back for a change of mind only unopened (the customer confirms it in the wizard).
SEALED_CATEGORIES = {
    "beauty": _l("Cosmetics can be returned for a change of mind only if unopened and sealed."),
}

# Categories a technician can repair: electronics and appliances (the kettle is sold as electronics). The help
# articles promise a repair for these only; clothing, shoes and home goods with a fault are refunded or exchanged.
REPAIRABLE_CATEGORIES = frozenset({"electronics"})
# A repair puts right a fault: not a change of mind, a size, or the wrong item sent.
REPAIR_REASONS = frozenset({"quality", "damaged"})

REFUND_METHODS = {
    "original": _l("Refund to your original payment method"),
    "store_credit": _l("Store credit"),
}


@dataclass(frozen=True)
class PolicySettings:
    change_of_mind_days: int
    quality_days: int
    cross_border_days: int
    change_of_mind_fee_cents: int
    cross_border_shipping_cents: int
    refund_days: dict  # refund method -> days after we receive the item
    high_value_cents: int

    @classmethod
    def current(cls):
        """The policy in force now: windows, fees and the high-value limit as a lead set them in the browser
        (portal/settings.py, the environment's values until then); refund timing from the environment."""
        values, config = portal_settings.current_values(), current_app.config
        return cls(
            change_of_mind_days=values["return_window_change_of_mind_days"],
            quality_days=values["return_window_quality_days"],
            cross_border_days=values["return_window_cross_border_days"],
            change_of_mind_fee_cents=values["return_fee_change_of_mind_cents"],
            cross_border_shipping_cents=values["return_cross_border_shipping_cents"],
            refund_days={"original": config["REFUND_DAYS_ORIGINAL_PAYMENT"],
                         "store_credit": config["REFUND_DAYS_STORE_CREDIT"]},
            high_value_cents=values["return_high_value_cents"],
        )

    def window_days(self, window, cross_border):
        if window == "quality":
            return self.quality_days
        # Cross-border parcels take longer to arrive and to send back: a longer change-of-mind window.
        return max(self.change_of_mind_days, self.cross_border_days) if cross_border else self.change_of_mind_days


@dataclass(frozen=True)
class Decision:
    """Whether one item may be returned, and why, in words the customer reads."""

    eligible: bool
    reason: str
    code: str = "ok"  # ok, not_delivered, final_sale, opened, window_closed, unknown_reason
    # Outside the window only: the customer may still ask, and a person decides.
    may_ask_anyway: bool = False
    deadline: date | None = None
    fee_cents: int = 0  # per return parcel, not per item
    customer_pays_shipping: bool = False
    refund_cents: int = 0  # for one unit, before the parcel's fee
    condition: str = ""  # e.g. "only if unopened", shown beside an eligible item


def _settings(settings):
    return settings or PolicySettings.current()


def parcel_fee(order, reason, settings=None):
    """(fee in cents, whether the customer pays the shipping) for one return parcel of `order`."""
    settings = _settings(settings)
    rule = REASONS.get(reason)
    if rule is None or rule.fee == "none":
        return 0, False
    if order.cross_border:
        return settings.cross_border_shipping_cents, True
    return settings.change_of_mind_fee_cents, False


def _date(value):
    return format_date(value, "long")


def _evaluate_reason(order, item, reason, today, opened, settings):
    rule = REASONS[reason]
    change_of_mind = rule.window == "change_of_mind"
    if change_of_mind and (item.category in FINAL_SALE_CATEGORIES or not item.returnable):
        why = FINAL_SALE_CATEGORIES.get(item.category,
                                        _l("This item is final sale: it can only be returned if it is faulty."))
        return Decision(False, str(why), code="final_sale")
    if change_of_mind and item.category in SEALED_CATEGORIES and opened:
        return Decision(False, str(SEALED_CATEGORIES[item.category]), code="opened")
    days = settings.window_days(rule.window, order.cross_border)
    deadline = order.delivered_at.date() + timedelta(days=days)
    fee, customer_pays = parcel_fee(order, reason, settings)
    common = {"deadline": deadline, "fee_cents": fee, "customer_pays_shipping": customer_pays,
              "refund_cents": item.price_cents}
    if today > deadline:
        why = _l("The %(days)s-day window for this reason ended on %(date)s. You can still ask: a person will "
                 "review your request.", days=days, date=_date(deadline))
        return Decision(False, str(why), code="window_closed", may_ask_anyway=True, **common)
    condition = SEALED_CATEGORIES.get(item.category, "") if change_of_mind else ""
    why = _l("You can return this until %(date)s.", date=_date(deadline))
    return Decision(True, str(why), condition=str(condition), **common)


def evaluate(order, item, reason, today, opened=None, settings=None):
    """The policy's decision for `item` of `order` returned for `reason` on `today`.

    `reason=None` asks whether the item can be returned for any reason (the order page and the wizard's
    first step, before a reason is chosen): the most generous reason decides, and its words say the limits.
    `opened` is the customer's answer for sealed categories; None means not asked yet.
    """
    settings = _settings(settings)
    if order.status != "delivered" or order.delivered_at is None:
        return Decision(False, str(_l("Returns open once the order has been delivered.")), code="not_delivered")
    if reason is None:
        return _any_reason(order, item, today, opened, settings)
    if reason not in REASONS:
        return Decision(False, str(_l("Please choose a reason from the list.")), code="unknown_reason")
    return _evaluate_reason(order, item, reason, today, opened, settings)


def _any_reason(order, item, today, opened, settings):
    change_of_mind = _evaluate_reason(order, item, "no_reason", today, opened, settings)
    if change_of_mind.eligible:
        return change_of_mind
    quality = _evaluate_reason(order, item, "quality", today, opened, settings)
    if not quality.eligible:
        return quality
    why = _l("Returns for a change of mind are not possible for this item, but you can return it until %(date)s "
             "if it is faulty, damaged or not what you ordered.", date=_date(quality.deadline))
    return Decision(True, str(why), code="quality_only", deadline=quality.deadline, refund_cents=item.price_cents,
                    condition=str(_l("Only if it is faulty, damaged or not what you ordered.")))


def repairable(items):
    """Whether a repair may be offered for `items`: every one of them is of a category we repair."""
    return bool(items) and all(item.category in REPAIRABLE_CATEGORIES for item in items)


def repair_refusal(items, reason):
    """Why a repair is not offered for `items` returned for `reason` ("category" or "reason"); None if it is."""
    if not repairable(items):
        return "category"
    return None if reason in REPAIR_REASONS else "reason"


def refund_days(method, settings=None):
    """Days after we receive the item until the money (or credit) is with the customer."""
    return _settings(settings).refund_days.get(method)


def is_high_value(total_cents, settings=None):
    return total_cents > _settings(settings).high_value_cents
