"""Orders, their items and the carrier's shipment events, as the shop sends them."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

from .types import UTCDateTime, utcnow

ORDER_STATUSES = (
    "placed", "paid", "shipped", "in_transit", "out_for_delivery", "delivered",
    "delivery_exception", "cancelled", "returned",
)
SHIPMENT_STATUSES = (
    "label_created", "shipped", "in_transit", "customs", "out_for_delivery", "delivered",
    "delivery_exception", "returned_to_sender",
)
# States where the parcel is with the carrier and carrier silence means trouble.
IN_TRANSIT_STATUSES = ("shipped", "in_transit", "out_for_delivery", "delivery_exception")
# The allowed status flow, as data (like a case's TRANSITIONS): every change goes through
# portal.orders.service.move_to, which checks this map. Carrier scans may skip or repeat steps and move between
# the in-transit states; a delivered order is left only for returned; cancelled and returned are final.
ORDER_TRANSITIONS = {
    "placed": {"paid", "cancelled", "delivered", *IN_TRANSIT_STATUSES},
    "paid": {"cancelled", "delivered", *IN_TRANSIT_STATUSES},
    **{status: {"delivered", "returned", "cancelled", *IN_TRANSIT_STATUSES} - {status}
       for status in IN_TRANSIT_STATUSES},
    "delivered": {"returned"},
    "cancelled": set(),
    "returned": set(),
}


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
        Index("ix_orders_status_ship_by", "status", "ship_by"),
        Index("ix_orders_ship_by", "ship_by"),  # late orders on the leads' dashboard
        CheckConstraint("total_cents >= 0", name="ck_orders_total_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(24), default="placed")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    total_cents: Mapped[int] = mapped_column(default=0)
    shipping_name: Mapped[str] = mapped_column(String(120), default="")
    shipping_address: Mapped[str] = mapped_column(Text, default="")
    shipping_phone: Mapped[str] = mapped_column(String(40), default="")
    ship_country: Mapped[str] = mapped_column(String(2), default="US")
    cross_border: Mapped[bool] = mapped_column(default=False)
    carrier: Mapped[str] = mapped_column(String(60), default="")
    tracking_number: Mapped[str] = mapped_column(String(80), default="")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ship_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    estimated_delivery: Mapped[date | None] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The customer asked to cancel; the order is cancelled when the shop says so (its `cancelled` event).
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Most recent carrier event, kept here so delay detection needs no join over all events.
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", back_populates="orders")
    items = relationship("OrderItem", back_populates="order", cascade="all, delete-orphan",
                         order_by="OrderItem.id")
    events = relationship("ShipmentEvent", back_populates="order", cascade="all, delete-orphan",
                          order_by="ShipmentEvent.occurred_at.desc()")

    def can_move_to(self, status):
        return status in ORDER_TRANSITIONS.get(self.status, set())

    def __repr__(self):
        return f"<Order {self.number} {self.status}>"


class OrderItem(db.Model):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("qty > 0", name="ck_order_items_qty_positive"),
        CheckConstraint("price_cents >= 0", name="ck_order_items_price_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    price_cents: Mapped[int]
    qty: Mapped[int] = mapped_column(default=1)
    returnable: Mapped[bool] = mapped_column(default=True)

    order = relationship("Order", back_populates="items")


class ShipmentEvent(db.Model):
    __tablename__ = "shipment_events"
    __table_args__ = (Index("ix_shipment_events_order_time", "order_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # The shop's id for the event: applying the same event twice changes nothing.
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(24))
    location: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order = relationship("Order", back_populates="events")


class ShopEvent(db.Model):
    """Every webhook event id we applied, so a replayed delivery is recognised."""

    __tablename__ = "shop_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
