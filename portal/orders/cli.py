"""flask shop import FILE: the webhook's events, one JSON object per line, in bulk."""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.extensions import db
from portal.orders import feed

COMMIT_EVERY = 500


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


@click.group("shop")
def shop_group():
    """The shop's feed of orders and shipments."""


@shop_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--notify/--no-notify", default=False, show_default=True,
              help="E-mail customers about status changes (off: an import is usually history).")
@with_appcontext
def shop_import_command(file, notify):
    """Apply every event in FILE (JSON Lines); bad lines are reported by number and skipped."""
    counts = {"applied": 0, "duplicate": 0}
    bad = []
    pending = 0
    with file.open("rb") as stream, click.progressbar(length=file.stat().st_size, label="events") as bar:
        for number, line in enumerate(stream, start=1):
            bar.update(len(line))
            if not line.strip():
                continue
            try:
                event_id, kind, data = feed.parse_event(json.loads(line, parse_constant=_reject_constant))
                counts[feed.apply_event(event_id, kind, data, notify=notify)] += 1
            except feed.FeedError as error:
                bad.append((number, str(error)))
                if error.refused is not None:
                    feed.record_refusal(event_id, kind, data, error)
                continue
            except (ValueError, RecursionError):
                bad.append((number, "malformed JSON"))
                continue
            pending += 1
            if pending >= COMMIT_EVERY:
                db.session.commit()
                pending = 0
    db.session.commit()
    for number, reason in bad:
        click.echo(f"  line {number}: {reason}", err=True)
    click.echo(f"{counts['applied']} applied, {counts['duplicate']} already applied, {len(bad)} bad lines")
    if bad:
        raise SystemExit(1)
