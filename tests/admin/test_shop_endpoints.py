"""/admin/shop-endpoints: who may see and change the shop's endpoints and resend deliveries, the secret shown
once, the delivery log, hostile input."""

import pytest
from sqlalchemy import func, select

from portal.models import AuditEntry, OutboxRow, ShopDelivery, ShopEndpoint, utcnow
from portal.orders import service as orders
from tests.agent.helpers import sign_in_customer, sign_in_staff
from tests.conftest import make_app

RANK = ("anonymous", "customer", "agent", "lead", "admin")
# A public address written as an IP, so saving it needs no DNS (the tests run without internet).
GOOD = {"url": "https://93.184.216.34/hooks", "description": "Main shop",
        "event_types": ["return.approved", "refund.requested"], "active": "y"}


@pytest.fixture
def endpoint(db):
    endpoint = ShopEndpoint(url="https://shop.example.com/old", secret="whsec_known-secret",
                            event_types=["order.cancel_requested"], active=True)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


@pytest.fixture
def delivery(db, make_order, customer, endpoint):
    """A cancellation request the shop accepted."""
    orders.cancel(make_order(customer=customer, status="paid"), utcnow())
    db.session.commit()
    delivery = db.session.scalar(select(ShopDelivery))
    delivery.delivered_at, delivery.attempts, delivery.last_status_code = utcnow(), 1, 200
    db.session.execute(OutboxRow.__table__.update().values(status="done"))
    db.session.commit()
    return delivery


def _routes(endpoint_id, delivery_id):
    """(method, path, form, the least role that may use it) for every shop-endpoint route."""
    return [
        ("get", "/admin/shop-endpoints", None, "lead"),
        ("post", "/admin/shop-endpoints", GOOD, "admin"),
        ("get", f"/admin/shop-endpoints/{endpoint_id}", None, "lead"),
        ("post", f"/admin/shop-endpoints/{endpoint_id}", GOOD, "admin"),
        ("post", f"/admin/shop-endpoints/{endpoint_id}/secret", {}, "admin"),
        ("post", f"/admin/shop-endpoints/{endpoint_id}/deliveries/{delivery_id}/resend", {}, "lead"),
    ]


def _snapshot(db):
    db.session.expire_all()
    return (sorted((e.url, e.description, tuple(e.event_types), e.active, e.secret) for e in db.session.scalars(
                select(ShopEndpoint))),
            sorted((d.outbox_key, d.resends) for d in db.session.scalars(select(ShopDelivery))),
            db.session.scalar(select(func.count()).select_from(AuditEntry)))


@pytest.mark.parametrize("role", RANK)
def test_access_matrix_over_every_shop_endpoint_route(app, client, db, customer, make_staff, make_admin, role,
                                                      endpoint, delivery):
    if role == "customer":
        sign_in_customer(client, customer)
    elif role != "anonymous":
        sign_in_staff(client, make_admin() if role == "admin" else make_staff(role))
    routes = {(rule.rule, method.lower()) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/admin/shop-endpoints") for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(path.replace(f"/{endpoint.id}", "/<int:endpoint_id>", 1)
                .replace(f"/{delivery.id}/", "/<int:delivery_id>/"), method)
               for method, path, *_ in _routes(endpoint.id, delivery.id)}
    assert routes == covered, "a new shop-endpoint route needs a row in this matrix"
    for method, path, data, least in _routes(endpoint.id, delivery.id):
        before = _snapshot(db)
        response = getattr(client, method)(path, data=data)
        if role == "anonymous":
            assert response.status_code == 302 and response.headers["Location"].startswith("/staff/signin"), path
        elif RANK.index(role) < RANK.index(least):
            assert response.status_code == 403, (role, path)
        else:
            assert response.status_code in (200, 201, 303), (role, path, response.status_code)
        if RANK.index(role) < RANK.index(least) or method == "get":
            assert _snapshot(db) == before, (role, path)


def test_the_secret_is_shown_once_on_creation_and_the_creation_is_audited(client, db, admin):
    sign_in_staff(client, admin)

    response = client.post("/admin/shop-endpoints", data=GOOD)

    assert response.status_code == 201
    endpoint = db.session.scalar(select(ShopEndpoint))
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    assert endpoint.secret in response.text
    assert (endpoint.url, endpoint.event_types, endpoint.active) == (GOOD["url"], GOOD["event_types"], True)
    assert endpoint.secret not in client.get("/admin/shop-endpoints").text
    assert endpoint.secret not in client.get(f"/admin/shop-endpoints/{endpoint.id}").text
    assert "session" not in response.headers.get("Set-Cookie", "") or endpoint.secret not in response.headers[
        "Set-Cookie"]
    assert response.headers["Cache-Control"] == "private, no-store"
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.actor_id, entry.target_id) == ("shop.endpoint_created", admin.id, endpoint.id)
    assert endpoint.secret not in str(entry.detail)


def test_a_lead_reads_the_list_and_the_log_without_controls(client, lead, endpoint, delivery):
    sign_in_staff(client, lead)

    listing = client.get("/admin/shop-endpoints").text
    page = client.get(f"/admin/shop-endpoints/{endpoint.id}").text

    assert endpoint.url in listing and "Add an endpoint" not in listing
    assert "Change the endpoint" not in page
    assert "Order cancellation requested" in page and "Delivered" in page and delivery.idempotency_key in page
    assert "Send again" in page
    assert "whsec_known-secret" not in listing + page


def test_the_log_shows_a_retrying_delivery_with_its_error_and_next_attempt(client, db, lead, endpoint, delivery):
    delivery.delivered_at, delivery.attempts, delivery.last_status_code = None, 2, 502
    delivery.last_error = "HTTP 502: upstream down"
    db.session.execute(OutboxRow.__table__.update().values(status="pending"))
    db.session.commit()
    sign_in_staff(client, lead)

    page = client.get(f"/admin/shop-endpoints/{endpoint.id}").text

    assert "Retrying" in page and "502" in page and "HTTP 502: upstream down" in page
    assert "Send again" not in page  # it is on its way already
    response = client.post(f"/admin/shop-endpoints/{endpoint.id}/deliveries/{delivery.id}/resend",
                           follow_redirects=True)
    assert "still being sent" in response.text
    db.session.expire_all()
    assert db.session.get(ShopDelivery, delivery.id).resends == 0


def test_resend_queues_the_same_key_again_and_is_audited(client, db, lead, endpoint, delivery):
    sign_in_staff(client, lead)

    response = client.post(f"/admin/shop-endpoints/{endpoint.id}/deliveries/{delivery.id}/resend")

    assert response.status_code == 303
    db.session.expire_all()
    resent = db.session.get(ShopDelivery, delivery.id)
    assert (resent.resends, resent.delivered_at, resent.idempotency_key) == (1, None, delivery.idempotency_key)
    row = db.session.scalar(select(OutboxRow).where(OutboxRow.key == resent.outbox_key))
    assert (row.job_name, row.args, row.status) == ("shop.deliver", [delivery.id], "pending")
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.actor_id) == ("shop.delivery_resent", lead.id)
    audit = client.get("/admin/audit?kind=shop").text
    assert "Delivery to the shop sent again" in audit


def test_resend_needs_the_form_token(test_environ, db, lead, endpoint, delivery):
    protected = make_app(test_environ, WTF_CSRF_ENABLED=True).test_client()
    sign_in_staff(protected, lead)

    response = protected.post(f"/admin/shop-endpoints/{endpoint.id}/deliveries/{delivery.id}/resend")

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(ShopDelivery, delivery.id).resends == 0


def test_a_delivery_of_another_endpoint_is_not_found(client, db, lead, endpoint, delivery):
    other = ShopEndpoint(url="https://other.example.com/", secret="whsec_other", event_types=[], active=True)
    db.session.add(other)
    db.session.commit()
    sign_in_staff(client, lead)

    assert client.post(f"/admin/shop-endpoints/{other.id}/deliveries/{delivery.id}/resend").status_code == 404
    assert client.get("/admin/shop-endpoints/999999").status_code == 404


def test_an_admin_changes_the_endpoint_and_the_change_is_audited(client, db, admin, endpoint):
    sign_in_staff(client, admin)

    response = client.post(f"/admin/shop-endpoints/{endpoint.id}", data=dict(GOOD, active=""))

    assert response.status_code == 303
    db.session.expire_all()
    changed = db.session.get(ShopEndpoint, endpoint.id)
    assert (changed.url, changed.active, changed.secret) == (GOOD["url"], False, "whsec_known-secret")
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert entry.action == "shop.endpoint_changed"
    assert entry.detail["changes"]["active"] == {"old": True, "new": False}


@pytest.mark.parametrize("data", [
    dict(GOOD, url=""),
    dict(GOOD, url="not a url"),
    dict(GOOD, url="javascript:alert(1)"),
    dict(GOOD, url="ftp://shop.example.com/hooks"),
    dict(GOOD, url="https://"),
    dict(GOOD, url="https://user:password@shop.example.com/hooks"),
    dict(GOOD, url="https://shop.example.com/a b"),
    dict(GOOD, url="https://shop.example.com/" + "a" * 5000),
    dict(GOOD, url="https://<script>alert(1)</script>"),
    dict(GOOD, url="https://shop.example.com:99999/hooks"),
    dict(GOOD, url="https://shop.example.com:port/hooks"),
    dict(GOOD, description="d" * 100_000),
    dict(GOOD, event_types=[]),
    dict(GOOD, event_types=["return.approved", "money.printed"]),
])
def test_hostile_endpoints_are_refused_with_a_message_and_store_nothing(client, db, admin, endpoint, data):
    sign_in_staff(client, admin)
    before = _snapshot(db)

    created = client.post("/admin/shop-endpoints", data=data)
    changed = client.post(f"/admin/shop-endpoints/{endpoint.id}", data=data)

    for response in (created, changed):
        assert response.status_code == 400
        assert 'class="field-error"' in response.text
        assert "<script>alert(1)" not in response.text
    assert _snapshot(db) == before


def test_the_pages_read_in_chinese(client, lead, endpoint, delivery):
    sign_in_staff(client, lead)
    headers = {"Accept-Language": "zh"}

    listing = client.get("/admin/shop-endpoints", headers=headers).text
    page = client.get(f"/admin/shop-endpoints/{endpoint.id}", headers=headers).text

    assert "发给商家的 Webhook" in listing
    assert "投递记录" in page and "已申请取消订单" in page


def test_an_admin_replaces_a_lost_secret_and_sees_the_new_one_once(client, db, admin, endpoint):
    sign_in_staff(client, admin)

    response = client.post(f"/admin/shop-endpoints/{endpoint.id}/secret")

    assert response.status_code == 200
    db.session.expire_all()
    secret = db.session.get(ShopEndpoint, endpoint.id).secret
    assert secret != "whsec_known-secret" and secret in response.text
    assert secret not in client.get(f"/admin/shop-endpoints/{endpoint.id}").text
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.actor_id) == ("shop.secret_replaced", admin.id)
    assert secret not in str(entry.detail)


def test_the_log_is_filtered_by_state_and_a_made_up_state_is_refused(client, db, lead, endpoint, delivery):
    sign_in_staff(client, lead)
    page = f"/admin/shop-endpoints/{endpoint.id}"

    delivered = client.get(page, query_string={"state": "delivered"})
    failed = client.get(page, query_string={"state": "failed"})
    made_up = client.get(page, query_string={"state": "<script>x</script>"})

    assert delivery.idempotency_key in delivered.text
    assert delivery.idempotency_key not in failed.text and "No delivery in this state." in failed.text
    assert made_up.status_code == 400 and "Choose a state from the list." in made_up.text
    assert "<script>x" not in made_up.text


# Where the worker must not send (it would refuse each attempt, so the admin is told when saving): literal
# addresses and `localhost`, which resolve without DNS.
INSIDE_THE_NETWORK = [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # a cloud's metadata service (link-local)
    ("http://127.0.0.1:8126/admin", "127.0.0.1"),
    ("http://localhost:8126/admin", "127.0.0.1"),
    ("http://[::1]:8126/admin", "::1"),
    ("https://10.1.2.3/hooks", "10.1.2.3"),
    ("https://192.168.0.10/hooks", "192.168.0.10"),
    ("https://172.16.5.4/hooks", "172.16.5.4"),
    ("https://100.64.0.1/hooks", "100.64.0.1"),  # shared by carriers' NAT
    ("http://0.0.0.0:8000/hooks", "0.0.0.0"),  # noqa: S104 - an address refused, not bound
    ("http://224.0.0.1/hooks", "224.0.0.1"),  # multicast
    ("http://240.0.0.1/hooks", "240.0.0.1"),  # reserved
    ("http://2130706433/hooks", "127.0.0.1"),  # 127.0.0.1 written as one number
    ("http://[::ffff:127.0.0.1]/hooks", "::ffff:7f00:1"),
    ("http://[fe80::1]/hooks", "fe80::1"),
]


@pytest.mark.parametrize(("url", "address"), INSIDE_THE_NETWORK)
def test_an_address_inside_the_network_is_refused_next_to_the_field_and_nothing_is_stored(app, client, db, admin,
                                                                                          endpoint, url, address):
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = False
    sign_in_staff(client, admin)
    before = _snapshot(db)

    created = client.post("/admin/shop-endpoints", data=dict(GOOD, url=url))
    changed = client.post(f"/admin/shop-endpoints/{endpoint.id}", data=dict(GOOD, url=url))

    for response, prefix in ((created, "new-endpoint"), (changed, "endpoint")):
        assert response.status_code == 400
        assert (f'<p id="{prefix}-url-error" class="field-error">This address leads into a private or local network '
                f'({address}), not to the internet.') in response.text
        assert (f'value="{url}" aria-invalid="true" aria-describedby="{prefix}-url-error"') in response.text
        assert f'<li><a href="#{prefix}-url">This address leads into a private' in response.text  # the summary
        assert "Signing secret" not in response.text and "whsec_" not in response.text
    assert _snapshot(db) == before


def test_the_refusal_reads_in_chinese(app, client, admin):
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = False
    sign_in_staff(client, admin)

    response = client.post("/admin/shop-endpoints", data=dict(GOOD, url="http://169.254.169.254/latest/meta-data/"),
                           headers={"Accept-Language": "zh"})

    assert response.status_code == 400
    assert "该地址指向私有或本地网络（169.254.169.254）" in response.text


def _resolving(monkeypatch, answers):
    """DNS as `answers` ({host: [address, ...]}) has it; any other name does not resolve."""
    import socket

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (a, port)) for a in answers[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_that_does_not_resolve_is_refused_with_its_name(app, client, db, admin, monkeypatch):
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = False
    _resolving(monkeypatch, {})
    sign_in_staff(client, admin)

    response = client.post("/admin/shop-endpoints", data=dict(GOOD, url="https://shop.example.com/hooks"))

    assert response.status_code == 400
    assert ('<p id="new-endpoint-url-error" class="field-error">No server was found for shop.example.com. Check the '
            'address for typing errors') in response.text
    assert 'value="https://shop.example.com/hooks" aria-invalid="true"' in response.text
    assert db.session.scalars(select(ShopEndpoint)).all() == []


def test_a_name_is_refused_when_any_of_its_addresses_is_inside_the_network(app, client, db, admin, monkeypatch):
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = False
    _resolving(monkeypatch, {"shop.example.com": ["93.184.216.34", "10.0.0.7"],
                             "public.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]})
    sign_in_staff(client, admin)

    refused = client.post("/admin/shop-endpoints", data=dict(GOOD, url="https://shop.example.com/hooks"))
    accepted = client.post("/admin/shop-endpoints", data=dict(GOOD, url="https://public.example.com/hooks"))

    assert refused.status_code == 400 and "private or local network (10.0.0.7)" in refused.text
    assert accepted.status_code == 201
    assert [e.url for e in db.session.scalars(select(ShopEndpoint))] == ["https://public.example.com/hooks"]


@pytest.mark.parametrize("url", ["https://93.184.216.34/hooks", "http://93.184.216.34:8080/hooks",
                                 "https://[2606:2800:220:1:248:1893:25c8:1946]/hooks"])
def test_a_public_address_is_saved_over_https_or_plain_http(app, client, db, admin, url):
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = False
    sign_in_staff(client, admin)

    response = client.post("/admin/shop-endpoints", data=dict(GOOD, url=url))

    assert response.status_code == 201
    endpoint = db.session.scalar(select(ShopEndpoint))
    assert (endpoint.url, endpoint.active) == (url, True) and endpoint.secret in response.text


def test_the_setting_allows_an_address_inside_the_network(app, client, db, admin, endpoint):
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = True  # SHOP_HOOK_ALLOW_PRIVATE_ADDRESSES=1: development, tests
    sign_in_staff(client, admin)

    created = client.post("/admin/shop-endpoints", data=dict(GOOD, url="http://127.0.0.1:8126/hooks"))
    changed = client.post(f"/admin/shop-endpoints/{endpoint.id}", data=dict(GOOD, url="http://localhost:8126/hooks"))

    assert (created.status_code, changed.status_code) == (201, 303)
    db.session.expire_all()
    assert sorted(e.url for e in db.session.scalars(select(ShopEndpoint))) == [
        "http://127.0.0.1:8126/hooks", "http://localhost:8126/hooks"]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/hooks",
                                 "http://224.0.0.1/hooks", "http://0.0.0.0:8000/hooks"])  # noqa: S104
def test_even_the_setting_never_allows_link_local_multicast_or_unspecified(app, client, db, admin, url):
    # A cloud's metadata service is on a link-local address, also on a developer's or a private shop's host.
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = True
    sign_in_staff(client, admin)
    before = _snapshot(db)

    refused = client.post("/admin/shop-endpoints", data=dict(GOOD, url=url))

    assert refused.status_code == 400 and "This address leads into a private or local network" in refused.text
    assert _snapshot(db) == before


def test_an_endpoint_saved_inside_the_network_before_can_be_switched_off_but_not_on(app, client, db, admin,
                                                                                    endpoint):
    endpoint.url, endpoint.active = "http://10.1.2.3/hooks", False
    db.session.commit()
    app.config["SHOP_HOOK_ALLOW_PRIVATE"] = False
    sign_in_staff(client, admin)

    kept_off = client.post(f"/admin/shop-endpoints/{endpoint.id}",
                           data=dict(GOOD, url="http://10.1.2.3/hooks", description="Old shop", active=""))
    switched_on = client.post(f"/admin/shop-endpoints/{endpoint.id}",
                              data=dict(GOOD, url="http://10.1.2.3/hooks", active="y"))

    assert kept_off.status_code == 303
    assert switched_on.status_code == 400 and "private or local network (10.1.2.3)" in switched_on.text
    db.session.expire_all()
    saved = db.session.get(ShopEndpoint, endpoint.id)
    assert (saved.url, saved.description, saved.active) == ("http://10.1.2.3/hooks", "Old shop", False)


def test_the_worker_checks_with_the_same_function():
    from portal import shop_events
    from worker import shop_hooks

    assert shop_hooks.check_endpoint_address is shop_events.check_endpoint_address
