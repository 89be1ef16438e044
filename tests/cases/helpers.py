"""Helpers shared by the cases, returns and complaints tests."""

import io
import struct
import zlib
from datetime import timedelta
from html.parser import HTMLParser

from PIL import Image
from sqlalchemy import select

from portal.models import OutboxRow, utcnow

ITEMS = [
    {"sku": "TSH-001", "name": "Organic cotton T-shirt", "category": "apparel", "price_cents": 2400, "qty": 2},
    {"sku": "UND-005", "name": "Cotton briefs, 3-pack", "category": "underwear", "price_cents": 1900, "qty": 1,
     "returnable": False},
    {"sku": "SRM-017", "name": "Vitamin C serum", "category": "beauty", "price_cents": 3800, "qty": 1},
    {"sku": "HPH-900", "name": "Wireless headphones", "category": "electronics", "price_cents": 19900, "qty": 1},
]


def delivered_order(make_order, customer, days_ago=2, items=None, **overrides):
    """A delivered order, `days_ago` days after delivery."""
    delivered = utcnow() - timedelta(days=days_ago)
    return make_order(customer=customer, status="delivered", delivered_at=delivered,
                      placed_at=delivered - timedelta(days=4), ship_by=delivered - timedelta(days=3),
                      items=items or ITEMS, **overrides)


def item_named(order, sku):
    return next(item for item in order.items if item.sku == sku)


def outbox(db, job_name=None):
    db.session.expire_all()
    query = select(OutboxRow).order_by(OutboxRow.id)
    if job_name:
        query = query.where(OutboxRow.job_name == job_name)
    return db.session.scalars(query).all()


def image_bytes(fmt="JPEG", size=(64, 48), exif=None, color=(200, 30, 30)):
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def gps_exif():
    """EXIF with a GPS position, as a phone writes it."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (45.0, 27.0, 0.0), 3: "E", 4: (9.0, 11.0, 0.0)}  # GPSInfo
    return exif.tobytes()


def png_bomb(width=60_000, height=60_000):
    """A tiny PNG whose header claims a huge image: what a decompression bomb looks like before decoding."""
    small = io.BytesIO()
    Image.new("L", (1, 1)).save(small, format="PNG")
    data = bytearray(small.getvalue())
    # IHDR is the first chunk: 8-byte signature, 4-byte length, b"IHDR", then width and height.
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


class _SelectOptions(HTMLParser):
    def __init__(self, name):
        super().__init__()
        self.name, self.inside, self.values = name, False, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self.inside = attrs.get("name") == self.name
        elif tag == "option" and self.inside:
            self.values.append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self.inside = False


def select_options(html, name):
    """The option values of the page's <select name=`name`>, in the order the page lists them."""
    parser = _SelectOptions(name)
    parser.feed(html)
    return parser.values
