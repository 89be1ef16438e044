"""What we tell the shop we decided, as signed webhooks the worker sends from the outbox.

Each deciding service calls one function here inside its own transaction: it writes one delivery per
endpoint that receives the event, and the outbox row that sends it (worker/shop_hooks.py). The shop
stays the source of truth: until it confirms (an inbound event), the customer reads "requested".

`check_endpoint_address` is the one check of where an endpoint may point: the admin's form runs it when the
address is saved, the worker before each attempt (SHOP_HOOK_ALLOW_PRIVATE_ADDRESSES lets loopback and private
addresses pass, never link-local or multicast ones).
"""

import ipaddress
import secrets
import socket
import uuid
from urllib.parse import urlsplit

from sqlalchemy import select

from portal import jobs
from portal.extensions import db
from portal.models import CaseEvent, OrderItem, ShopDelivery, ShopEndpoint, utcnow


class EndpointAddressRefused(ValueError):
    """An endpoint's address we must not send to. `reason` is "unresolvable" (no address for the host) or
    "internal" (`address`, one of the host's, is not on the public internet); the message is for logs."""

    def __init__(self, reason, host, address=None):
        if reason == "internal":
            message = f"the endpoint's address {address} is not on the public internet"
        else:
            message = f"the endpoint's host {host!r} has no address (it does not resolve)"
        super().__init__(message)
        self.reason, self.host, self.address = reason, host, address


def _embedded_ipv4(address):
    """The IPv4 address an IPv6 one carries (::ffff:a.b.c.d, 6to4), or None."""
    return (address.ipv4_mapped or address.sixtofour) if address.version == 6 else None


def _public(address):
    """True for an address on the public internet: not loopback, private, link-local, shared (carrier NAT),
    reserved, multicast or unspecified, nor an IPv6 form of such an IPv4 address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and not _public(embedded):
        return False
    return address.is_global and not (address.is_private or address.is_loopback or address.is_link_local
                                      or address.is_reserved or address.is_multicast or address.is_unspecified)


def _never(address):
    """Addresses no shop listens on even on a private network: link-local (a cloud's metadata service lives
    there), multicast, reserved and unspecified, or an IPv6 form of one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and _never(embedded):
        return True
    return address.is_link_local or address.is_multicast or address.is_reserved or address.is_unspecified


def check_endpoint_address(url, allow_private=False):
    """Raise EndpointAddressRefused unless every address the URL's host resolves to is public. With
    `allow_private` (development, or a shop on the private network) loopback and private addresses pass, and a
    name that does not resolve is left to fail at delivery, but link-local, multicast, reserved and unspecified
    addresses are still refused.

    A literal IP is taken as it is; a name is looked up now, so one that later resolves inside the network is
    caught by the worker's check before its next attempt.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP) if host else []
    except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError; a bad label fails IDNA encoding
        if allow_private:
            return
        raise EndpointAddressRefused("unresolvable", host) from error
    if not found:
        if allow_private:
            return
        raise EndpointAddressRefused("unresolvable", host)
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if _never(address) if allow_private else not _public(address):
            raise EndpointAddressRefused("internal", host, address)


def emit(event_type, subject, data):
    """Queue `event_type` about `subject` (e.g. case:12) for every endpoint that receives it, once per
    endpoint however often the decision is saved; returns the deliveries written."""
    event_key = f"{event_type}:{subject}"
    endpoints = [e for e in db.session.scalars(select(ShopEndpoint).where(ShopEndpoint.active.is_(True)))
                 if e.receives(event_type)]
    already = set(db.session.scalars(select(ShopDelivery.endpoint_id).where(ShopDelivery.event_key == event_key)))
    event_id = f"evt_{secrets.token_hex(12)}"
    body = {"id": event_id, "type": event_type, "created_at": utcnow().isoformat(timespec="seconds"), "data": data}
    written = []
    for endpoint in endpoints:
        if endpoint.id in already:
            continue
        delivery = ShopDelivery(endpoint_id=endpoint.id, event_type=event_type, event_key=event_key,
                                event_id=event_id, idempotency_key=str(uuid.uuid4()), payload=body, outbox_key="")
        db.session.add(delivery)
        db.session.flush()
        delivery.outbox_key = f"shop-delivery:{delivery.id}"
        jobs.schedule("shop.deliver", delivery.id, key=delivery.outbox_key)
        written.append(delivery)
    return written


def _money(cents, currency):
    return {"amount_cents": cents, "currency": currency}


def _items(case):
    names = {item.id: item for item in db.session.scalars(
        select(OrderItem).where(OrderItem.id.in_([line.order_item_id for line in case.items])))} if case.items else {}
    return [{"sku": names[line.order_item_id].sku, "name": names[line.order_item_id].name, "qty": line.qty}
            for line in case.items if line.order_item_id in names]


def _case_data(case):
    return {"case": case.reference, "order": case.order.number if case.order else None,
            "customer_email": case.customer.email if case.customer else None}


def _decision(case):
    """The case's latest move into its current status: a case approved or resolved again (after a reopening) is a
    new decision the shop hears of, while saving the same one twice is not."""
    event_id = db.session.scalar(
        select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.field == "status",
                                   CaseEvent.new_value == case.status)
        .order_by(CaseEvent.id.desc()).limit(1))
    return f"case:{case.id}:status:{event_id}"


def case_approved(case):
    """A return, exchange or repair was approved: the shop expects the parcel, prepares the exchange, or
    holds the repair appointment."""
    data = _case_data(case)
    if case.kind == "exchange":
        return emit("exchange.requested", _decision(case), dict(data, items=_items(case),
                                                                exchange_for=case.exchange_for))
    if case.kind == "repair":
        return repair_booked(case)
    return emit("return.approved", _decision(case), dict(
        data, rma=case.return_label or case.reference, items=_items(case),
        refund_estimate=dict(_money(case.refund_estimate_cents, case.currency), method=case.refund_method or None),
        fee=_money(case.fee_cents, case.currency)))


def repair_booked(case):
    """A repair appointment was booked (or moved): one event per slot."""
    slot = case.repair_slot.isoformat() if case.repair_slot else None
    return emit("repair.booked", f"case:{case.id}:{slot}", dict(_case_data(case), items=_items(case), slot=slot))


def case_resolved(case):
    """An agent resolved with money: the shop issues the refund or the coupon, then tells us."""
    if case.resolution_type == "refund":
        event_type = "refund.requested"
    elif case.resolution_type == "coupon":
        event_type = "coupon.granted"
    else:
        return []
    data = dict(_case_data(case), **_money(case.resolution_amount_cents, case.currency))
    if event_type == "refund.requested":
        data["method"] = case.refund_method or "original"
    return emit(event_type, _decision(case), data)


def order_cancel_requested(order):
    """The customer asked to cancel an order that has not shipped: the shop stops it and tells us."""
    return emit("order.cancel_requested", f"order:{order.id}", {
        "order": order.number, "customer_email": order.customer.email if order.customer else None,
        "requested_at": order.cancel_requested_at.isoformat(timespec="seconds") if order.cancel_requested_at
        else None})
