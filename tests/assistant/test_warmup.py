"""A web process reads its first customer message ahead: the model, the intent bank and the triage reader."""

from portal.assistant import intents, warmup
from portal.complaints import reading


def test_warming_up_builds_the_intent_bank_and_the_triage_reader(app, monkeypatch):
    monkeypatch.setattr(intents, "_bank", None)
    monkeypatch.setattr(reading, "_readers", {})

    warmup.start(app).join(timeout=120)

    assert intents._bank is not None and intents._bank.vectors is not None
    assert reading._readers


def test_a_failing_warm_up_only_logs(app, monkeypatch, caplog):
    def broken():
        raise RuntimeError("disk full")

    monkeypatch.setattr(intents, "bank", broken)

    warmup.warm_up(app)

    assert "warming up the semantic layer failed" in caplog.text
