"""The rating clicked in the survey e-mail is sent by the page's own POST: a mail scanner's GET records nothing."""

from portal.surveys import service
from tests.worker.cases import make_case


def _token(case):
    return service.token_for(case, service.survey_for(case))


def test_a_clicked_rating_not_yet_saved_is_sent_by_the_page(client, db, customer):
    case = make_case(customer)

    page = client.get(f"/survey/{_token(case)}?score=4").text

    assert "data-autosubmit" in page
    assert "js/autosubmit.js" in page
    assert service.survey_for(case) is None or service.survey_for(case).answer is None


def test_the_same_rating_again_or_no_rating_in_the_link_sends_nothing(client, db, customer):
    case = make_case(customer)
    token = _token(case)
    client.post(f"/survey/{token}", data={"score": "4"})

    assert "data-autosubmit" not in client.get(f"/survey/{token}?score=4").text
    assert "data-autosubmit" not in client.get(f"/survey/{token}").text
    assert "data-autosubmit" in client.get(f"/survey/{token}?score=2").text


def test_a_hostile_score_in_the_link_is_ignored(client, db, customer):
    case = make_case(customer)

    for hostile in ("9", "-1", "<script>", "4' or 1=1", "x" * 500):
        response = client.get(f"/survey/{_token(case)}", query_string={"score": hostile})
        assert response.status_code == 200
        assert "data-autosubmit" not in response.text
