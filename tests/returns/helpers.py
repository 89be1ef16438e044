"""Helpers for the return-after-approval tests: an approved return made through the wizard, shop events."""

import io
import json

import pypdfium2
import zxingcpp
from sqlalchemy import select

from portal.models import Case
from tests.cases.helpers import item_named
from tests.orders.helpers import signed_headers


def file_return(client, order, sku="TSH-001", qty=1, outcome="refund", **step3):
    """Walk the wizard as the signed-in customer; the case it made (approved by the policy)."""
    url = f"/returns/{order.number}/step/"
    assert client.post(url + "1", data={f"qty-{item_named(order, sku).id}": str(qty)}).status_code == 303
    assert client.post(url + "2", data={"reason": "no_reason"}).status_code == 303
    assert client.post(url + "3", data={"outcome": outcome, **step3}).status_code == 303
    assert client.post(url + "4").status_code == 303
    return newest_case(client.application)


def newest_case(app):
    from portal.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(Case).order_by(Case.id.desc()).limit(1))


def shop_event(kind, rma, event_id=None, **data):
    return {"event_id": event_id or f"evt-{kind}-{rma}", "type": kind, "data": {"rma": rma, **data}}


def post_shop_event(client, event, secret=None):
    body = json.dumps(event).encode()
    headers = signed_headers(body) if secret is None else signed_headers(body, secret=secret)
    return client.post("/api/webhooks/orders", data=body, headers=headers)


def barcodes_in_pdf(pdf_bytes):
    """Every barcode zxing-cpp reads on the PDF's first page, rendered at 300 dpi: [(format name, text)]."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf_bytes))
    image = document[0].render(scale=300 / 72).to_pil()
    return [(result.format.name, result.text) for result in zxingcpp.read_barcodes(image)]
