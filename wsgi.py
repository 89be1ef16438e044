"""Entry point for gunicorn and `flask --app wsgi`."""

import gc
import sys

from portal import create_app, logs
from portal.assistant import warmup

app = create_app()
logs.configure(app.config["LOG_FORMAT"], log_file=app.config["LOG_FILE"])
# What is loaded by now lives as long as the process. Frozen, the collector's full passes no longer walk
# it: each pass took 40-90 ms of a gunicorn worker, and every request queued behind it waited as long.
gc.freeze()

# Only in gunicorn's workers (it imports this module in each, without --preload), not in a `flask --app wsgi`
# command such as a migration, which reads no customer's message.
if "gunicorn" in sys.modules:
    warmup.start(app)
