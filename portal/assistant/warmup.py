"""Read a first message before a customer sends one.

A fresh web process embeds the assistant's intent bank (214 sentences), builds the triage reader and opens the
help index, its article vectors and the Chinese word splitter on first use: the first message to it waited 4.3 s
for its answer, the next ones 50 ms. Started by `wsgi.py` in each
gunicorn worker, on a thread of its own, so the process serves meanwhile (a request that needs the model then
waits for the engine, not for the whole warm-up).
"""

import logging
import threading

from portal.assistant import intents
from portal.complaints import reading
from portal.help import search

log = logging.getLogger(__name__)


def warm_up(app):
    """Load the model, the intent bank, the triage reader and the help index in both languages (each takes its
    lexical path when the model is off); never raises: a failure costs the first customer what it would anyway."""
    try:
        intents.bank()
        with app.app_context():
            reading.current_reader()
            search.search("where is my parcel", "en")
            search.search("我的包裹到哪了", "zh")
    except Exception:
        log.warning("warming up the semantic layer failed; the first message reads it instead", exc_info=True)


def start(app):
    thread = threading.Thread(target=warm_up, args=(app,), name="warm-up", daemon=True)
    thread.start()
    return thread
