"""flask lead rollup: build the dashboard's daily roll-ups from the data already there."""

import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.extensions import db


@click.group("lead")
def lead_group():
    """The leads' dashboard."""


@lead_group.command("rollup")
@click.option("--days", type=click.IntRange(min=1, max=1000), default=None,
              help="Closed days to build, counting back from yesterday (default: LEAD_ROLLUP_DAYS).")
@with_appcontext
def rollup_command(days):
    """Rebuild the daily roll-ups of the last DAYS closed days, whatever their state, one day per transaction."""
    from portal.lead import rollups
    from portal.models import utcnow

    days = days or current_app.config["LEAD_ROLLUP_DAYS"]
    yesterday = utcnow().date() - timedelta(days=1)
    wanted = [yesterday - timedelta(days=n) for n in range(days - 1, -1, -1)]
    started = time.perf_counter()
    rows = 0
    with click.progressbar(wanted, label="days", show_pos=True) as bar:
        for day in bar:
            rows += rollups.build_day(day)
            db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(f"built {len(wanted)} days ({wanted[0]} to {wanted[-1]}), {rows} roll-up rows, in {elapsed:.1f} s "
               f"({1000 * elapsed / len(wanted):.0f} ms a day)")
