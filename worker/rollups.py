"""The dashboard's roll-up sweep, every 5 minutes: build the days that closed and rebuild the ones that changed."""

from flask import current_app

from portal.lead import rollups


def sweep():
    """Build the stale and missing days (at most LEAD_ROLLUP_SWEEP_DAYS); returns a summary for the outbox row."""
    days = rollups.sweep(limit=current_app.config["LEAD_ROLLUP_SWEEP_DAYS"])
    return f"built {len(days)} days" + (f", {days[-1]} to {days[0]}" if days else "")
