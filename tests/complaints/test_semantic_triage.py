"""Triage by meaning with the real bundled model: urgent polite texts, learning from agents, the lead's review."""

from datetime import UTC, datetime

import pytest

from portal import semantics
from portal.agent import service as agent_service
from portal.complaints import reading
from portal.complaints.triage import triage
from portal.models import TriageExample
from tests.agent.helpers import make_case, sign_in_customer, sign_in_staff

pytestmark = pytest.mark.skipif(not semantics.available(), reason="the bundled embedding model is not installed")

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class Customer:
    is_vip = False


def run(text, reader=reading.current_reader):
    return triage(text, "other", None, Customer(), [], now=NOW, reader=reader())


def test_an_urgent_polite_text_is_high_and_the_reason_names_its_nearest_example(app):
    result = run("Good morning, sorry to trouble you. The little fan heater gives off a smell like melting plastic "
                 "after a few minutes, should I keep using it? Many thanks")
    assert result.urgency == "high" and result.escalate
    reads_like = [r for r in result.reasons if r.code == "reads_like"]
    assert reads_like and "unsafe product" in str(reads_like[0])
    example_texts = {e.text for e in reading.bank_examples()}
    assert reads_like[0].params["example"] in example_texts


def test_a_chinese_double_charge_without_keywords_is_high(app):
    assert run("付款的时候卡了一下，结果银行那边显示同样的金额出了两笔").urgency == "high"


def test_a_question_is_not_escalated(app):
    result = run("do you sell the matching pillowcases separately?")
    assert result.urgency != "high" and not result.angry and not result.escalate


def test_sarcasm_reads_as_angry(app):
    result = run("Oh marvellous, the third week without my order. Truly world-class service, well done you.")
    assert result.angry
    assert any(r.code == "reads_angry" for r in result.reasons)


@pytest.mark.parametrize("text", [
    "my robot vacuum lost its charging cable in the move, where can I buy a spare?",
    "今天中午才付款，还没发货很正常吧？想问下几点截单",
])
def test_words_of_a_lost_or_late_parcel_in_a_question_do_not_make_it_urgent(app, text):
    result = run(text)
    assert result.urgency != "high" and not result.escalate
    assert not any(r.code == "lost_or_late" for r in result.reasons)


def test_a_product_fault_asked_about_politely_is_neither_urgent_nor_angry(app):
    result = run("The bluetooth earphones keep dropping the connection to my phone after a week, could you help?")
    assert (result.urgency, result.angry, result.escalate) == ("medium", False, False)


def test_a_calm_question_addressed_to_the_shop_is_not_angry(app):
    assert not run("你们的客服挺耐心的，想再问一下保修卡要不要寄回").angry


def test_a_word_rule_still_raises_where_the_model_sees_its_level_as_possible(app):
    result = run("the mixer I ordered three weeks ago still hasn't arrived")
    assert result.urgency == "high" and any(r.code == "lost_or_late" for r in result.reasons)


def test_without_the_model_triage_keeps_to_the_word_rules(app, monkeypatch):
    monkeypatch.setattr(semantics, "_model", None)
    monkeypatch.setattr(semantics, "_failed", True)
    result = run("the toaster caught fire")
    assert result.urgency == "high"
    assert not any(r.code == "reads_like" for r in result.reasons)


@pytest.mark.parametrize("text", ["", " ", "x" * 10_000, "😡😡😡🔥", "\x00\x07\x1b[31m", "退款 refund 환불 возврат",
                                  "a\u202eb\u200b" * 100])
def test_hostile_text_never_raises(app, text):
    result = run(text)
    assert result.urgency in ("high", "medium", "low")


def test_an_agents_urgency_change_adds_an_example_that_triage_then_reads_by(app, db, customer, agent):
    text = "the garden gnome's hat is a slightly different shade of red than on the website"
    case = make_case(customer, urgency="medium", description=text)
    agent_service.change_urgency(case, agent, "high", "our lead says colour mismatches on gnomes are urgent")
    db.session.commit()
    example = db.session.query(TriageExample).one()
    assert (example.text, example.urgency, example.case_id, example.staff_id) == (text, "high", case.id, agent.id)
    reader = reading.current_reader()
    assert reader.examples[-1].text == text
    result = run(text)
    assert result.urgency == "high"
    assert any(r.code == "reads_like" and r.params["example"] == text for r in result.reasons)


def test_a_lead_reviews_and_removes_an_agents_example(app, db, client, lead):
    example = reading.learn("the kettle is fine, I just wanted a bigger one", "high")
    db.session.commit()
    sign_in_staff(client, lead)
    page = client.get("/lead/knowledge").get_data(as_text=True)
    head, body = page.split("</title>", 1)
    assert "I just wanted a bigger one" in body and 'id="triage-examples"' in body
    assert "Triage examples" not in head
    response = client.post(f"/lead/triage-examples/{example.id}/delete")
    assert response.status_code == 302
    assert db.session.query(TriageExample).count() == 0


def test_only_a_lead_can_remove_an_example(app, db, client, agent, customer):
    example = reading.learn("a lamp shade is slightly crooked", "low")
    db.session.commit()
    assert client.post(f"/lead/triage-examples/{example.id}/delete").status_code in (302, 401, 403)
    sign_in_customer(client, customer)
    assert client.post(f"/lead/triage-examples/{example.id}/delete").status_code in (302, 401, 403)
    sign_in_staff(client, agent)
    assert client.post(f"/lead/triage-examples/{example.id}/delete").status_code == 403
    assert db.session.query(TriageExample).count() == 1


@pytest.mark.parametrize("path", ["/lead/triage-examples/999999/delete", "/lead/triage-examples/-1/delete",
                                  "/lead/triage-examples/abc/delete", "/lead/triage-examples/1%00/delete"])
def test_hostile_example_ids_are_404_not_500(app, client, lead, path):
    sign_in_staff(client, lead)
    assert client.post(path).status_code == 404


def test_triage_reads_a_text_the_complaint_forms_suggestions_embedded_from_the_cache(app, monkeypatch):
    from portal.help import service as help_service

    text = "The kettle trips the breaker\n\nand smells of   burning"
    reading.current_reader()
    semantics.embed_query(help_service.clean_query(text))  # what the suggestions' search leaves in the cache
    read = []
    real_embed = semantics._embed
    monkeypatch.setattr(semantics, "_embed",
                        lambda texts, as_query, **kw: read.append(texts) or real_embed(texts, as_query, **kw))
    assert run(text).urgency == "high"
    assert read == []
