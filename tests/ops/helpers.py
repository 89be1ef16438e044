"""Reading /metrics the way Prometheus does."""

from prometheus_client.parser import text_string_to_metric_families


def scrape(client, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def value(text, name, **labels):
    """The sample `name{labels}` in the exposition text; 0 when it is absent (a counter not yet moved)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0
