"""Canned replies: the defaults the demo seeds, and filling in their placeholders for one case.

Replies are kept in the database (leads edit them); these are only the starting set, in both languages,
with empathy openings for angry customers. Placeholders are replaced literally, never through
str.format, so a reply's text cannot reach into Python objects.
"""

from sqlalchemy import select

from portal.extensions import db
from portal.models import CannedReply

PLACEHOLDERS = ("{first_name}", "{order_number}")

# (title, locale, empathy, body)
DEFAULT_CANNED_REPLIES = [
    ("Empathy: sorry for the trouble", "en", True,
     "Hi {first_name}, I am really sorry about this. I can see how frustrating it has been, and I am "
     "taking care of it personally now."),
    ("Empathy: third contact", "en", True,
     "Hi {first_name}, I am sorry you have had to contact us again about order {order_number}. That should "
     "not have happened. I have read everything you sent, so you will not need to repeat yourself."),
    ("Refund requested", "en", False,
     "Hi {first_name}, I have asked the shop to refund order {order_number}. We will e-mail you as soon as "
     "the shop confirms the refund is sent; card refunds then show on your statement within 3-5 business days."),
    ("Replacement on its way", "en", False,
     "Hi {first_name}, a replacement for order {order_number} is on its way. You will get the tracking "
     "number by e-mail as soon as the carrier picks it up."),
    ("Coupon as an apology", "en", False,
     "Hi {first_name}, as an apology for the trouble with order {order_number} I have requested a coupon for "
     "your account. We will e-mail you as soon as the shop confirms it is there; it is then applied "
     "automatically at your next checkout."),
    ("Asking for a photo", "en", False,
     "Hi {first_name}, could you send us a photo of the item from order {order_number}, showing the problem? "
     "You can reply to this message and attach it."),
    ("共情：抱歉给您添麻烦", "zh", True,
     "{first_name}您好，非常抱歉给您带来了不好的体验。我完全理解您的心情，现在由我亲自为您处理。"),
    ("共情：多次联系", "zh", True,
     "{first_name}您好，很抱歉订单 {order_number} 的问题让您不得不再次联系我们。您之前提供的信息我都已看过，"
     "无需重复说明。"),
    ("退款已申请", "zh", False,
     "{first_name}您好，我们已请商家为订单 {order_number} 办理退款。商家确认退款发出后我们会邮件通知您，"
     "银行卡退款之后通常在 3-5 个工作日内到账。"),
    ("补发商品已寄出", "zh", False,
     "{first_name}您好，订单 {order_number} 的补发商品已寄出，快递揽收后我们会把物流单号发到您的邮箱。"),
    ("补偿优惠券", "zh", False,
     "{first_name}您好，为表歉意，我们已为订单 {order_number} 申请向您的账户发放一张优惠券。商家确认到账后"
     "我们会邮件通知您，下次结账时自动使用。"),
    ("请提供照片", "zh", False,
     "{first_name}您好，麻烦您拍一张订单 {order_number} 商品问题部位的照片，直接回复本消息附上即可。"),
]


def seed_canned_replies():
    """Add the default replies that are missing (by title and language); replies leads edited are kept."""
    added = 0
    for title, locale, empathy, body in DEFAULT_CANNED_REPLIES:
        exists = db.session.scalar(select(CannedReply.id).where(CannedReply.title == title,
                                                                CannedReply.locale == locale))
        if exists is None:
            db.session.add(CannedReply(title=title, locale=locale, empathy=empathy, body=body))
            added += 1
    return added


def replies_for(locale):
    """The replies in a customer's language, empathy openings first."""
    return db.session.scalars(select(CannedReply).where(CannedReply.locale == locale)
                              .order_by(CannedReply.empathy.desc(), CannedReply.title)).all()


def fill(body, case):
    """The reply's text for this case, its placeholders replaced by the customer's first name and order number."""
    first_name = case.customer.first_name if case.customer else ""
    order_number = case.order.number if case.order else ""
    return body.replace("{first_name}", first_name).replace("{order_number}", order_number)
