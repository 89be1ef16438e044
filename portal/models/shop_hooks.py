"""Where we tell the shop what we decided: its endpoints, and one delivery per event and endpoint."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

from .types import UTCDateTime, utcnow

# What we tell the shop. Each is emitted where the decision is made (portal/shop_events.py).
SHOP_EVENT_TYPES = ("return.approved", "refund.requested", "coupon.granted", "order.cancel_requested",
                    "exchange.requested", "repair.booked")


class ShopEndpoint(db.Model):
    __tablename__ = "shop_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The HMAC key the deliveries are signed with; kept readable because signing needs it, shown once.
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def receives(self, event_type):
        return self.active and event_type in (self.event_types or [])

    def __repr__(self):
        return f"<ShopEndpoint {self.id} {self.url}>"


class ShopDelivery(db.Model):
    """One event for one endpoint. The outbox row `outbox_key` carries its attempts and their schedule."""

    __tablename__ = "shop_deliveries"
    __table_args__ = (
        # One emit of an event reaches an endpoint once, however often the deciding code runs.
        UniqueConstraint("endpoint_id", "event_key", name="uq_shop_deliveries_endpoint_event"),
        Index("ix_shop_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("shop_endpoints.id", ondelete="CASCADE"))
    endpoint: Mapped[ShopEndpoint] = relationship()
    event_type: Mapped[str] = mapped_column(String(40))
    # What was decided, e.g. return.approved:case:12; the same for every endpoint.
    event_key: Mapped[str] = mapped_column(String(160))
    event_id: Mapped[str] = mapped_column(String(40))
    # Sent as Idempotency-Key on every attempt and every resend, so the shop applies the event once.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    outbox_key: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    resends: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self):
        return f"<ShopDelivery {self.event_type} to {self.endpoint_id}>"
