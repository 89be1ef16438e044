"""What the wizard's screens show a person: no Python internals, and only the fields their choice needs."""

import re

from tests.cases.helpers import item_named


def to_step_three(client, order):
    assert client.post(f"/returns/{order.number}/step/1",
                       data={f"qty-{item_named(order, 'HPH-900').id}": "1"}).status_code == 303
    step_two = client.post(f"/returns/{order.number}/step/2", content_type="multipart/form-data",
                           data={"reason": "quality", "description": "It stopped charging after two days."})
    assert step_two.status_code == 303, step_two.text


def test_step_one_shows_no_python_object_when_nothing_is_wrong(signed_in, order):
    page = signed_in.get(f"/returns/{order.number}/step/1").text

    assert "built-in method" not in page
    assert "field-error" not in page


def test_step_one_with_nothing_chosen_says_so_in_words(signed_in, order):
    response = signed_in.post(f"/returns/{order.number}/step/1", data={}, headers={"HX-Request": "true"})

    assert response.status_code == 400
    assert 'id="items-error"' in response.text
    assert "built-in method" not in response.text


def test_repair_times_are_in_the_customers_zone_and_the_zone_is_shown(signed_in, db, order, customer):
    customer.timezone = "America/New_York"
    db.session.commit()
    to_step_three(signed_in, order)

    page = signed_in.get(f"/returns/{order.number}/step/3").text

    assert "Eastern Time (GMT-05:00)" in page
    offered = [(int(hour) % 12 + (12 if half == "PM" else 0))
               for hour, half in re.findall(r'<option value="[^"]+">[^<]*?(\d+):00\W(AM|PM)</option>', page)]
    # The shop books repairs 09:00-17:00 UTC (settings' defaults): 04:00-12:00 in New York, of which a
    # person's daytime (from 07:00) is offered.
    assert offered and all(7 <= hour < 12 for hour in offered)


def test_step_three_keeps_each_choices_question_under_that_choice(signed_in, order):
    to_step_three(signed_in, order)

    page = signed_in.get(f"/returns/{order.number}/step/3").text

    exchange, repair = page.index('value="exchange"'), page.index('value="repair"')
    assert exchange < page.index('id="exchange-for"') < repair < page.index('id="repair-slot"')
    assert page.count('class="choice-details') == 2
