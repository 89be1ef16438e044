"""Photos: decoded, re-encoded without EXIF, stored under random names, served only to the owner and staff."""

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.models import Case, CaseAttachment, ReturnDraft
from tests.agent.helpers import sign_in_staff
from tests.cases.helpers import delivered_order, gps_exif, image_bytes, item_named, png_bomb
from tests.orders.helpers import sign_in_as


@pytest.fixture
def at_step_two(client, make_order, customer):
    order = delivered_order(make_order, customer)
    sign_in_as(client, customer)
    client.post(f"/returns/{order.number}/step/1", data={f"qty-{item_named(order, 'HPH-900').id}": "1"})
    return order


def upload(client, order, *files, reason="quality", **extra):
    data = {"reason": reason, "description": "The left ear cup crackles.", **extra,
            "photos": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/returns/{order.number}/step/2", data=data, content_type="multipart/form-data")


def stored_files(app):
    directory = Path(app.config["UPLOAD_DIR"])
    return sorted(directory.iterdir()) if directory.exists() else []


def draft_photos(db):
    db.session.expire_all()
    draft = db.session.scalar(select(ReturnDraft))
    return draft.data.get("photos", []) if draft else []


@pytest.mark.parametrize("fmt, content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_photos_are_reencoded_under_random_names_without_exif(app, client, db, at_step_two, fmt, content_type):
    response = upload(client, at_step_two, ("../../../etc/passwd.jpg", image_bytes(fmt, exif=gps_exif())))

    assert response.status_code == 303
    [photo] = draft_photos(db)
    [path] = stored_files(app)
    assert path.name == photo["name"] and path.parent == Path(app.config["UPLOAD_DIR"])
    assert "passwd" not in path.name and photo["content_type"] == content_type
    with Image.open(path) as stored:
        assert stored.format == fmt
        assert dict(stored.getexif()) == {}


@pytest.mark.parametrize("name, content, message", [
    ("invoice.jpg", b"<html><script>alert(1)</script></html>", "This file is not a JPEG, PNG or WebP photo."),
    ("empty.png", b"", "This file is empty."),
    ("bomb.png", png_bomb(), "This photo has too many pixels."),
    ("anim.gif", None, "This file is not a JPEG, PNG or WebP photo."),
    ("cut.jpg", None, "This file is not a JPEG, PNG or WebP photo."),
])
def test_files_that_are_not_safe_photos_are_refused_and_nothing_is_kept(app, client, db, at_step_two, name,
                                                                       content, message):
    if name == "anim.gif":
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, format="GIF")
        content = out.getvalue()
    if name == "cut.jpg":
        content = image_bytes("JPEG", size=(400, 400))[:300]

    response = upload(client, at_step_two, (name, content))

    assert response.status_code == 400
    assert message in response.text
    assert stored_files(app) == []
    assert draft_photos(db) == []


def test_a_twenty_megabyte_upload_is_refused_with_413_and_a_message(app, client, db, at_step_two):
    big = image_bytes("JPEG") + b"\0" * (20 * 1024 * 1024)

    response = upload(client, at_step_two, ("huge.jpg", big))

    assert response.status_code == 413
    assert "Each photo may be at most 5 MB." in response.text
    assert stored_files(app) == []


def test_a_request_larger_than_five_photos_can_be_is_refused_before_reading_it(client, at_step_two):
    body = b"x" * (27 * 1024 * 1024)

    response = client.post(f"/returns/{at_step_two.number}/step/2", data=body,
                           content_type="multipart/form-data; boundary=x")

    assert response.status_code == 413
    assert "Photos may be at most 5 MB each." in response.text


def test_no_file_chosen_is_fine(app, client, db, at_step_two):
    response = upload(client, at_step_two, ("", b""))

    assert response.status_code == 303
    assert draft_photos(db) == []


def test_at_most_five_photos(app, client, db, at_step_two):
    six = [(f"p{i}.jpg", image_bytes()) for i in range(6)]

    response = upload(client, at_step_two, *six)

    assert response.status_code == 400
    assert "You can add at most 5 photos." in response.text
    assert stored_files(app) == []


def test_one_bad_file_among_good_ones_keeps_none_of_them(app, client, db, at_step_two):
    response = upload(client, at_step_two, ("ok.jpg", image_bytes()), ("bad.jpg", b"GIF89a not really"))

    assert response.status_code == 400
    assert stored_files(app) == []


def test_a_removed_photo_is_deleted(app, client, db, at_step_two):
    upload(client, at_step_two, ("a.jpg", image_bytes()), ("b.jpg", image_bytes()))
    first = draft_photos(db)[0]["name"]

    upload(client, at_step_two, remove_photo=first)

    assert [p["name"] for p in draft_photos(db)] != [] and first not in [p["name"] for p in draft_photos(db)]
    assert len(stored_files(app)) == 1


def submitted_case(client, db, order):
    client.post(f"/returns/{order.number}/step/3", data={"outcome": "refund"})
    client.post(f"/returns/{order.number}/step/4")
    return db.session.scalar(select(Case))


def test_the_owner_and_staff_see_the_photo_with_safe_headers_and_nobody_else_does(
        app, client, db, at_step_two, make_customer, agent):
    upload(client, at_step_two, ("ear.png", image_bytes("PNG")))
    case = submitted_case(client, db, at_step_two)
    [photo] = case.attachments
    photo_url = f"/cases/{case.reference}/photos/{photo.id}"

    own = client.get(photo_url)
    other_client = app.test_client()
    sign_in_as(other_client, make_customer())
    staff_client = app.test_client()
    sign_in_staff(staff_client, agent)

    assert own.status_code == 200 and own.mimetype == "image/png"
    assert own.headers["Content-Disposition"] == f'inline; filename="{case.reference}-{photo.id}.png"'
    assert own.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in own.headers["Cache-Control"]
    assert other_client.get(photo_url).status_code == 404
    assert app.test_client().get(photo_url).status_code == 404
    assert staff_client.get(photo_url).status_code == 200
    assert client.get(f"/cases/C-AAAAAAAA/photos/{photo.id}").status_code == 404
    assert db.session.scalar(select(func.count(CaseAttachment.id))) == 1
