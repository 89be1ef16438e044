"""The complaint form as one text box, with photos handled like the return wizard's and orders named in full."""

import io

from PIL import Image
from sqlalchemy import select

from portal.casework import photos
from portal.models import Case
from tests.cases.helpers import gps_exif, image_bytes
from tests.orders.helpers import sign_in_as

VALID = {"description": "The kettle arrived damaged, the lid is cracked.", "category": "damaged_or_unsafe",
         "order": "", "desired_outcome": "replacement"}


def file(client, uploads=(), **overrides):
    data = {**VALID, **overrides, "photos": [(io.BytesIO(content), name) for name, content in uploads]}
    return client.post("/complaints/new", data=data, content_type="multipart/form-data")


def cases(db):
    db.session.expire_all()
    return db.session.scalars(select(Case)).all()


def test_the_form_has_one_text_box_that_also_finds_answers(client, customer):
    sign_in_as(client, customer)

    page = client.get("/complaints/new").text

    assert page.count("<textarea") == 1
    assert 'name="description"' in page and page.count('name="description"') == 1
    assert "In a few words" not in page
    assert 'formaction="/complaints/suggestions"' in page


def test_what_was_typed_goes_with_find_answers_without_javascript(client, customer):
    sign_in_as(client, customer)

    page = client.get("/complaints/suggestions", query_string={**VALID}).text

    assert VALID["description"] in page


def test_a_photo_is_stored_without_its_exif_and_shown_on_the_case(app, client, db, customer):
    sign_in_as(client, customer)

    response = file(client, [("kettle.jpg", image_bytes(exif=gps_exif()))])

    assert response.status_code == 303, response.text
    [case] = cases(db)
    [attachment] = case.attachments
    stored = Image.open(photos.path_for(attachment.stored_name))
    assert not stored.getexif()
    page = client.get(response.headers["Location"]).text
    assert f"/cases/{case.reference}/photos/{attachment.id}" in page


def test_a_file_that_is_not_a_photo_is_refused_in_place_and_nothing_is_filed(client, db, customer):
    sign_in_as(client, customer)

    response = file(client, [("virus.jpg", b"MZ\x90\x00 not an image")])

    assert response.status_code == 400
    assert 'id="photos-error"' in response.text and 'class="form-errors"' in response.text
    assert VALID["description"] in response.text
    assert cases(db) == []


def test_too_many_photos_are_refused_and_none_is_kept(app, client, db, customer):
    sign_in_as(client, customer)

    response = file(client, [(f"p{n}.png", image_bytes("PNG")) for n in range(photos.MAX_PHOTOS + 1)])

    assert response.status_code == 400
    assert cases(db) == []
    assert not any(photos.upload_dir().glob("*")) if photos.upload_dir().exists() else True


def test_the_order_list_names_date_items_and_total(client, make_order, customer):
    order = make_order(customer=customer, items=[
        {"sku": "KET-1", "name": "Glass kettle", "category": "home", "price_cents": 4500},
        {"sku": "MUG-2", "name": "Mug", "category": "home", "price_cents": 900},
        {"sku": "TEA-3", "name": "Green tea", "category": "food", "price_cents": 1200}])
    sign_in_as(client, customer)

    page = client.get("/complaints/new").text

    assert f"Order {order.number} · " in page
    assert "Glass kettle, Mug and 1 more · $66.00" in page


def test_visitors_cannot_post_photos(client, db):
    response = file(client, [("kettle.jpg", image_bytes())])

    assert response.status_code == 303
    assert "/signin" in response.headers["Location"]
    assert cases(db) == []
