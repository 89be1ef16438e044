"""`make run` in development: the worker's and web server's routine lines go to instance/logs, so the welcome
banner stays the last thing on the terminal; warnings and errors still show there. A real worker process
sending real mail through the SMTP server on loopback."""

import io
import logging

import pytest

from portal import logs
from portal.cli import _child_logging, _print_welcome
from tests.worker.test_faults import _rows, _start_worker, _stop, _wait_for, _welcome_many


def test_with_a_log_file_routine_lines_leave_the_terminal_and_warnings_stay(tmp_path):
    terminal = io.StringIO()
    log_file = tmp_path / "logs" / "worker.log"
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("plain", stream=terminal, log_file=str(log_file))
        logging.getLogger("worker.jobs").info("mail.welcome key=welcome:1 outbox=1 done in 53 ms")
        logging.getLogger("worker.jobs").warning("mail.welcome key=welcome:2 outbox=2 failed in 9 ms")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = saved[0], saved[1]

    assert "done in 53 ms" not in terminal.getvalue()
    assert "WARNING worker.jobs [-] mail.welcome key=welcome:2 outbox=2 failed" in terminal.getvalue()
    assert "done in 53 ms" in log_file.read_text() and "failed in 9 ms" in log_file.read_text()


def test_production_children_keep_every_line_on_stderr(tmp_path):
    env = {"REDIS_URL": "redis://x"}

    assert _child_logging(env, None) == (env, env, "info")
    worker_env, web_env, web_level = _child_logging(env, tmp_path)
    assert (worker_env["LOG_FILE"], web_env["LOG_FILE"], web_level) == (
        str(tmp_path / "worker.log"), str(tmp_path / "web.log"), "warning")


@pytest.mark.integration
def test_the_dev_worker_sends_mail_without_a_line_on_the_terminal(app, db, redis, make_customer, smtp_server,
                                                                  tmp_path):
    customers = _welcome_many(db, make_customer, 2, "quiet")
    worker_env, _web_env, _level = _child_logging({}, tmp_path)
    worker = _start_worker(app, app.config["REDIS_URL"], LOG_FORMAT="plain", **worker_env)
    try:
        assert _wait_for(lambda: all(row.status == "done" for row in _rows(db)), timeout=60)
    finally:
        terminal = _stop(worker)

    assert all(smtp_server.to(customer.email) for customer in customers)
    assert "INFO" not in terminal, terminal
    assert "mail.welcome" in (tmp_path / "worker.log").read_text()


def test_the_banner_says_where_the_routine_lines_went(app, capsys, tmp_path):
    with app.app_context():
        _print_welcome("http://127.0.0.1:8000", True, tmp_path)
    banner = capsys.readouterr().out

    assert f"{tmp_path}/web.log and worker.log" in banner
    assert banner.rstrip().endswith("Press Ctrl-C to stop everything.")
