"""Quality evaluation (`make eval`): help search and triage on sets kept in tests/eval/data."""
