"""flask commands: serve, seed-demo, faq import, staff create."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.extensions import db
from portal.supervisor import Child, GaveUp, Supervisor


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create the demo customers, staff, orders and help articles (idempotent)."""
    from portal import demo

    result = demo.seed_demo()
    report = result["articles"]
    click.echo(f"demo data: {result['customers']} customers, {len(demo.DEMO_STAFF)} staff, "
               f"{result['orders_created']} new orders, {report.imported} articles imported "
               f"({len(report.unchanged)} unchanged)")
    for name, reason in report.errors:
        click.echo(f"  skipped {name}: {reason}", err=True)


@click.group("faq")
def faq_group():
    """Help-center articles."""


@faq_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def faq_import_command(directory):
    """Import (create or update by slug) every article file under DIRECTORY; changed ones are queued for reindexing."""
    from portal.help.importer import article_files, import_files

    paths = article_files(directory)
    with click.progressbar(paths, label="articles", show_pos=True) as bar:
        report = import_files(bar)
    db.session.commit()
    click.echo(f"{len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged, {len(report.errors)} skipped")
    for name, reason in report.errors:
        click.echo(f"  skipped {name}: {reason}", err=True)


@click.group("staff")
def staff_group():
    """Agent, lead and admin accounts."""


@staff_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["agent", "lead", "admin"]), default="agent", show_default=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def staff_create_command(email, role, name, password):
    """Create a staff account, or reset its role and password if it exists."""
    from sqlalchemy import select

    from portal.models import Staff

    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="--password")
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    created = staff is None
    if created:
        staff = Staff(email=email, name=name or email.split("@")[0])
        db.session.add(staff)
    staff.role = role
    staff.set_password(password)
    staff.session_version = (staff.session_version or 0) + 1
    db.session.commit()
    click.echo(f"{'created' if created else 'updated'} {role} {email}")


def _wait_until_healthy(url, processes, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes:
            if process.poll() is not None:
                raise click.ClickException(f"the {name} stopped during start-up (exit {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise click.ClickException(f"{url} did not report healthy within {timeout} s")


@click.command("serve")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "8000")), show_default="8000")
@with_appcontext
def serve_command(port):
    """Set up and run everything: database, demo data, search index, Redis, worker and web server."""
    from flask_migrate import upgrade

    from portal import demo
    from portal.embedded_redis import EmbeddedRedis

    app = current_app._get_current_object()
    upgrade()
    demo.seed_demo()
    _build_search_index(app)

    env = dict(os.environ, REDIS_URL=app.config["REDIS_URL"])
    children = []
    if app.config["REDIS_EMBEDDED"]:
        redis_server = EmbeddedRedis(app.config["REDIS_URL"][len("unix://"):])
        click.echo(f"redis: embedded server on {redis_server.socket_path}")
        children.append(Child("redis server", lambda: redis_server.start().process,
                              lambda _process: redis_server.stop()))
    # Every gunicorn process and the worker write their counters here; /metrics adds them up.
    metrics_dir = Path(app.instance_path) / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    log_dir = Path(app.instance_path) / "logs" if app.config["DEV_MODE"] else None
    worker_env, web_env, web_log_level = _child_logging(env, log_dir)
    children.append(Child("worker", lambda: subprocess.Popen([sys.executable, "-m", "worker"], env=worker_env,
                                                              start_new_session=True)))
    children.append(Child("web server", lambda: subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
         "--workers", str(app.config["WEB_WORKERS"]), "--threads", str(app.config["WEB_THREADS"]),
         "--graceful-timeout", "10", "--no-control-socket", "--log-level", web_log_level],
        env=web_env, start_new_session=True)))
    supervisor = Supervisor(children, echo=lambda line: click.echo(line, err=True))
    try:
        supervisor.start_all()
        base = f"http://127.0.0.1:{port}"
        _wait_until_healthy(f"{base}/healthz", supervisor.running())
        _print_welcome(base, app.config["DEV_MODE"], log_dir)
        _supervise_until_signal(supervisor)
    finally:
        click.echo("stopping...")
        supervisor.stop_all()
        click.echo("stopped.")


def _build_search_index(app):
    try:
        from portal.help import search
    except ImportError:
        return
    search.rebuild(app)
    from portal.complaints import reading

    with app.app_context():
        reading.current_reader()  # caches the triage bank's vectors in instance/ now, not at the first complaint


def _child_logging(env, log_dir):
    """The worker's and web server's environments and gunicorn's log level.

    In development (`log_dir` set) their routine lines go to files there and the terminal keeps warnings,
    errors and the supervisor's restart lines, so the welcome banner stays the last thing on screen.
    Production keeps every line on stderr for the platform's log collector.
    """
    if log_dir is None:
        return env, env, "info"
    return (dict(env, LOG_FILE=str(log_dir / "worker.log")), dict(env, LOG_FILE=str(log_dir / "web.log")),
            "warning")


def _print_welcome(base, dev_mode, log_dir=None):
    from portal.demo import DEMO_CUSTOMERS, DEMO_STAFF

    click.echo("")
    click.secho(f"  The portal is running at {base}/", bold=True)
    click.echo("  Staff sign-in:")
    for person in DEMO_STAFF:
        click.echo(f"    {person.role:<6} {person.email:<22} password: {person.password}")
    click.echo("  Customers sign in with an e-mail link; the dev mailbox shows the mail:")
    for email, name, *_rest, tier in DEMO_CUSTOMERS:
        click.echo(f"    {email:<22} {name} ({tier})")
    if dev_mode:
        click.echo(f"  Sent e-mails (sign-in links, surveys) are in the dev mailbox: {base}/dev/mailbox")
    click.echo("  Case e-mail replies: SMTP {INBOUND_SMTP_HOST}:{INBOUND_SMTP_PORT}".format_map(current_app.config))
    if log_dir is not None:
        click.echo(f"  Requests and jobs are logged to {log_dir}/web.log and worker.log; "
                   "warnings and errors also show here.")
    click.echo("  Press Ctrl-C to stop everything.\n")


def _supervise_until_signal(supervisor):
    """Restart crashed children until Ctrl-C or SIGTERM, or until one keeps crashing."""
    stop = {"asked": False}

    def ask_stop(_signum, _frame):
        stop["asked"] = True

    signal.signal(signal.SIGINT, ask_stop)
    signal.signal(signal.SIGTERM, ask_stop)
    try:
        supervisor.run(lambda: stop["asked"])
    except GaveUp as gave_up:
        click.echo(str(gave_up), err=True)


def init_app(app):
    from portal.help.cli import search_group
    from portal.lead.cli import lead_group
    from portal.orders.cli import shop_group

    for command in (seed_demo_command, faq_group, staff_group, serve_command, search_group, shop_group,
                    lead_group):
        app.cli.add_command(command)
