"""The printable return label: order, RMA, items, the return address, a QR code and a Code 128 barcode of the RMA.

Drawn with reportlab (its Code 128 and its built-in Chinese CID font, so no font file ships) and segno for the
QR code. Texts are in the reader's language; the codes carry the RMA alone, which the shop's scanner reads.
"""

import io

import segno
from flask import current_app
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from portal.i18n import gettext as _

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"


def _font(text):
    """The built-in Chinese font for text that needs it; Helvetica otherwise (it has no CJK glyphs)."""
    if any(ord(char) >= 0x2E80 for char in text):
        if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        return CJK_FONT
    return LATIN_FONT


def _line(pdf, x, y, text, size=11, bold=False):
    font = _font(text)
    pdf.setFont(f"{font}-Bold" if bold and font == LATIN_FONT else font, size)
    pdf.drawString(x, y, text)


def return_address():
    return [part.strip() for part in current_app.config["RETURN_ADDRESS"].split("|") if part.strip()]


def render(case, drop_off_by):
    """The label as PDF bytes (one A4 page; the top half is the label to stick on the parcel)."""
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(f"{case.return_label}")
    left, top = 20 * mm, height - 20 * mm
    _line(pdf, left, top, _("Return label"), 20, bold=True)
    _line(pdf, left, top - 12 * mm, _("Send to:"), 10)
    for index, line in enumerate(return_address()):
        _line(pdf, left, top - (18 + 6 * index) * mm, line, 13, bold=index == 0)

    barcode = Code128(case.return_label, barHeight=18 * mm, barWidth=0.45 * mm, humanReadable=True)
    barcode.drawOn(pdf, left - barcode.lquiet, top - 62 * mm)
    qr = io.BytesIO()
    segno.make_qr(case.return_label, error="m").save(qr, kind="png", scale=8, border=2)
    qr.seek(0)
    pdf.drawImage(ImageReader(qr), width - 20 * mm - 40 * mm, top - 64 * mm, 40 * mm, 40 * mm)

    y = top - 75 * mm
    _line(pdf, left, y, _("RMA: %(rma)s", rma=case.return_label), 14, bold=True)
    if case.order is not None:
        _line(pdf, left, y - 7 * mm, _("Order %(number)s", number=case.order.number))
    _line(pdf, left, y - 13 * mm, _("Case %(reference)s", reference=case.reference))
    if drop_off_by:
        _line(pdf, left, y - 19 * mm, _("Drop off by %(date)s", date=drop_off_by))
    pdf.setDash(3, 3)
    pdf.line(10 * mm, y - 25 * mm, width - 10 * mm, y - 25 * mm)
    pdf.setDash()

    y -= 35 * mm
    _line(pdf, left, y, _("Items in this parcel"), 12, bold=True)
    for line in case.items:
        y -= 6 * mm
        _line(pdf, left, y, _("%(qty)s × %(name)s", qty=line.qty, name=line.order_item.name)[:90])
    y -= 12 * mm
    for text in (_("Put this page in the parcel, and stick the label above on the outside."),
                 _("Keep the carrier's receipt: it has the tracking number you can give us on the case page.")):
        _line(pdf, left, y, text, 9)
        y -= 5 * mm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
