"""The workspace's suggested help articles: the help center's own ranking over what the customer wrote."""

import pytest

from portal import semantics
from portal.agent import service
from tests.agent.helpers import make_case, sign_in_staff
from tests.help.conftest import faq  # noqa: F401  (the indexed FAQ corpus)

pytestmark = pytest.mark.skipif(not semantics.available(), reason="the bundled embedding model is not installed")


def test_a_chinese_description_gets_chinese_articles_for_an_english_speaking_customer(app, customer, faq):  # noqa: F811
    case = make_case(customer, description="信用卡上同一个订单扣了两笔钱，麻烦帮我查一下")

    slugs = [article.slug for article in service.suggested_articles(case)]

    assert slugs and all(slug.startswith("zh-") for slug in slugs)
    assert "zh-charged-twice" in slugs[:3]


def test_a_paraphrase_finds_its_article_and_the_workspace_lists_it(app, client, agent, customer, faq):  # noqa: F811
    case = make_case(customer, description="I paid once but my bank shows the money went out two times")
    sign_in_staff(client, agent)

    slugs = [article.slug for article in service.suggested_articles(case)]
    page = client.get(f"/agent/cases/{case.reference}")

    assert "charged-twice" in slugs[:3]
    assert page.status_code == 200 and "/help/a/charged-twice" in page.text


def test_self_service_cards_sit_beside_the_articles_and_insert_their_link(app, client, agent, customer,
                                                                          faq):  # noqa: F811
    case = make_case(customer, description="The kettle arrived damaged and the lid is cracked.")
    sign_in_staff(client, agent)

    page = client.get(f"/agent/cases/{case.reference}").text
    draft = client.get(f"/agent/cases/{case.reference}/draft", query_string={"action": "start_quality_return"},
                       headers={"HX-Request": "true"})
    unknown = client.get(f"/agent/cases/{case.reference}/draft", query_string={"action": "file_complaint"},
                         headers={"HX-Request": "true"})

    assert "Start a quality return" in page and "File a complaint" not in page
    assert draft.status_code == 200 and "Start a quality return: http" in draft.text and "/returns" in draft.text
    assert unknown.status_code == 200 and "http" not in unknown.text.split("<textarea", 1)[1].split("</textarea>")[0]


def test_a_self_service_link_goes_into_the_reply_in_the_customers_language(app, client, agent, make_customer,
                                                                            faq):  # noqa: F811
    chinese = make_customer(locale="zh")
    case = make_case(chinese, description="收到的杯子是碎的，破损很严重")
    sign_in_staff(client, agent)

    draft = client.get(f"/agent/cases/{case.reference}/draft", query_string={"action": "start_quality_return"},
                       headers={"HX-Request": "true"})

    assert draft.status_code == 200 and "Start a quality return" not in draft.text and "/returns" in draft.text


@pytest.mark.parametrize("action", ["x" * 5000, "../admin", "file_complaint", "<script>"])
def test_an_action_not_suggested_inserts_nothing(app, client, agent, customer, action):
    case = make_case(customer)
    sign_in_staff(client, agent)
    response = client.get(f"/agent/cases/{case.reference}/draft", query_string={"action": action, "body": "Hello"},
                          headers={"HX-Request": "true"})
    reply = response.text.split("<textarea", 1)[1].split("</textarea>")[0]
    assert response.status_code == 200 and "http" not in reply and "Hello" in reply
