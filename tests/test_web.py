"""What every page shares: links in templates are right wherever the portal is mounted."""

from flask import render_template_string, url_for


def test_template_links_match_url_for_and_follow_the_mount_point(app):
    template = "{{ url_for('static', filename='css/portal.css') }} {{ url_for('orders.track') }}"
    with app.test_request_context("/"):
        at_root = render_template_string(template)
        expected_at_root = f"{url_for('static', filename='css/portal.css')} {url_for('orders.track')}"
    with app.test_request_context("/", base_url="http://localhost/support/"):
        mounted = render_template_string(template)
    with app.test_request_context("/"):
        again_at_root = render_template_string(template)

    assert at_root == expected_at_root == "/static/css/portal.css /orders/track"
    assert mounted == "/support/static/css/portal.css /support/orders/track"
    assert again_at_root == at_root


def test_template_links_with_page_values_are_built_for_each_page(app):
    template = "{{ url_for('orders.detail', number=number) }}"
    with app.test_request_context("/"):
        first = render_template_string(template, number="1001")
        second = render_template_string(template, number="1002")

    assert (first, second) == ("/orders/1001", "/orders/1002")
