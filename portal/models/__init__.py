"""All models, imported here so that the metadata is complete wherever the package is imported."""

from .assistant import Conversation, Turn
from .audit import AuditEntry
from .bookings import Booking
from .cases import Callback, Case, CaseAttachment, CaseEvent, CaseItem, CaseMessage, CaseShopEvent, ReturnDraft
from .customers import Customer, LoginToken, Notification
from .inbound import InboundMessage
from .knowledge import (
    Article,
    ArticleFeedback,
    ArticleView,
    CannedReply,
    IntentAction,
    SearchLog,
    Synonym,
)
from .ops import AlertEpisode
from .orders import Order, OrderItem, ShipmentEvent, ShopEvent
from .outbox import OutboxRow
from .rollups import DailyCount, DailyDurations, RollupDay
from .semantic import TriageExample
from .settings import SettingChange
from .shop_hooks import ShopDelivery, ShopEndpoint
from .staff import Staff, StaffSession
from .surveys import Survey, SurveyAnswer
from .types import UTCDateTime, utcnow

__all__ = [
    "AlertEpisode", "Article", "ArticleFeedback", "ArticleView", "AuditEntry", "Booking", "Callback", "CannedReply",
    "Case", "CaseAttachment", "CaseEvent", "CaseItem", "CaseMessage", "CaseShopEvent", "Conversation", "Customer",
    "DailyCount",
    "DailyDurations", "InboundMessage", "IntentAction", "LoginToken", "Notification", "Order", "OrderItem",
    "OutboxRow", "ReturnDraft", "RollupDay", "SearchLog", "SettingChange", "ShipmentEvent", "ShopDelivery",
    "ShopEndpoint", "ShopEvent", "Staff",
    "StaffSession", "Survey", "SurveyAnswer", "Synonym", "TriageExample", "Turn", "UTCDateTime", "utcnow",
]
