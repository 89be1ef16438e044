"""Every setting, read once from the environment, with defaults that work on a bare machine."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _int(env, name, default):
    raw = env.get(name)
    return int(raw) if raw not in (None, "") else default


def _minutes(env, name, default):
    return timedelta(minutes=_int(env, name, default))


def _hours(env, name, default):
    return timedelta(hours=_int(env, name, default))


def normalise_database_url(url):
    """Use the psycopg 3 driver for PostgreSQL URLs however they are spelled."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_secret_key(instance_path):
    """Read the instance's secret key, creating it once so sessions survive restarts."""
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def embedded_redis_socket(instance_path):
    return str(Path(instance_path) / "redis.sock")


class Config:
    """Settings for one app instance; `env` is the process environment unless a test passes another."""

    def __init__(self, instance_path, env=None):
        env = os.environ if env is None else env
        instance = Path(instance_path)

        self.PORTAL_ENV = env.get("PORTAL_ENV", "production")
        self.DEV_MODE = self.PORTAL_ENV == "development"
        self.SECRET_KEY = env.get("SECRET_KEY") or load_secret_key(instance)

        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'portal.db'}"
        )
        # A pooled connection idle for longer than this is tested before use (see portal/web.py).
        self.DB_PING_AFTER_IDLE_SECONDS = _int(env, "DB_PING_AFTER_IDLE_SECONDS", 10)

        # Unset means the embedded redis-server that `make run` and the tests start on this socket.
        self.REDIS_URL = env.get("REDIS_URL") or f"unix://{embedded_redis_socket(instance)}"
        self.REDIS_EMBEDDED = not env.get("REDIS_URL")
        self.SEARCH_INDEX_DIR = env.get("SEARCH_INDEX_DIR") or str(instance / "search")
        self.MAIL_URL = env.get("MAIL_URL") or f"file://{instance / 'mail'}"
        self.MAIL_FROM = env.get("MAIL_FROM", "Help Center <help@shop.example>")
        self.UPLOAD_DIR = env.get("UPLOAD_DIR") or str(instance / "uploads")
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
        self.SHOP_WEBHOOK_SECRET = env.get("SHOP_WEBHOOK_SECRET") or self.SECRET_KEY
        # Where return parcels go, printed on the return label; lines separated by "|".
        self.RETURN_ADDRESS = env.get("RETURN_ADDRESS") or "Returns department|1 Warehouse Road|Springfield 12345"

        # Conversations by e-mail (portal/inbound): case mail carries Reply-To support+<token>@MAIL_REPLY_DOMAIN.
        self.MAIL_REPLY_DOMAIN = env.get("MAIL_REPLY_DOMAIN") or _domain_of(self.MAIL_FROM)
        self.MAIL_REPLY_LOCAL_PART = env.get("MAIL_REPLY_LOCAL_PART", "support")
        self.MAIL_REPLY_TOKEN_DAYS = _int(env, "MAIL_REPLY_TOKEN_DAYS", 180)
        # The worker's SMTP server for replies; "off" turns it off (then IMAP or the webhook bring mail in).
        self.INBOUND_SMTP_HOST = env.get("INBOUND_SMTP_HOST", "127.0.0.1")
        self.INBOUND_SMTP_PORT = env.get("INBOUND_SMTP_PORT", "2525")
        # imaps://user:password@host:993/INBOX: polled (IDLE where the server has it); handled mail is moved.
        self.INBOUND_IMAP_URL = env.get("INBOUND_IMAP_URL", "")
        self.INBOUND_IMAP_DONE_FOLDER = env.get("INBOUND_IMAP_DONE_FOLDER", "Processed")
        self.INBOUND_IMAP_POLL_SECONDS = _int(env, "INBOUND_IMAP_POLL_SECONDS", 60)
        self.INBOUND_WEBHOOK_SECRET = env.get("INBOUND_WEBHOOK_SECRET") or self.SECRET_KEY
        self.INBOUND_MAX_BYTES = _int(env, "INBOUND_MAX_MB", 10) * 1024 * 1024
        # A sender whose mail we refuse hears from us once in this long, however much they send.
        self.INBOUND_ANSWER_EVERY = _hours(env, "INBOUND_ANSWER_EVERY_HOURS", 24)

        # The SLA promise, the same for every customer (see ARCHITECTURE.md).
        self.SLA_FIRST_RESPONSE = {
            "high": _minutes(env, "SLA_HIGH_FIRST_RESPONSE_MINUTES", 10),
            "medium": _minutes(env, "SLA_MEDIUM_FIRST_RESPONSE_MINUTES", 60),
            "low": _minutes(env, "SLA_LOW_FIRST_RESPONSE_MINUTES", 24 * 60),
        }
        self.SLA_RESOLUTION = {
            "high": _hours(env, "SLA_HIGH_RESOLUTION_HOURS", 24),
            "medium": _hours(env, "SLA_MEDIUM_RESOLUTION_HOURS", 24),
            "low": _hours(env, "SLA_LOW_RESOLUTION_HOURS", 72),
        }
        self.SLA_WARN_FRACTION = _int(env, "SLA_WARN_PERCENT", 80) / 100
        # Per urgency, "calendar" clocks run day and night; "business" clocks stop outside the shop's opening
        # hours (Monday to Friday, and Saturday and Sunday) and on its holidays, in its time zone. These are
        # the defaults: leads change them at /admin/settings (portal/settings.py).
        self.SLA_CLOCK = {urgency: env.get(f"SLA_{urgency.upper()}_CLOCK", "calendar")
                          for urgency in ("high", "medium", "low")}
        self.SHOP_TIMEZONE = env.get("SHOP_TIMEZONE", "UTC")
        self.BUSINESS_HOURS_WEEKDAYS = env.get("BUSINESS_HOURS_WEEKDAYS", "09:00-18:00")
        self.BUSINESS_HOURS_WEEKEND = env.get("BUSINESS_HOURS_WEEKEND", "")
        self.SHOP_HOLIDAYS = env.get("SHOP_HOLIDAYS", "")
        # Appointments a customer books themselves (portal/bookings.py): repairs and agents' calls each have
        # their opening hours (in the shop's zone), extra closed days, a slot length and how many customers
        # one slot takes. Defaults: leads change them at /admin/settings.
        for kind, weekdays, minutes, capacity in (("REPAIR", "09:00-17:00", 60, 2),
                                                   ("CALLBACK", "09:00-18:00", 30, 3)):
            setattr(self, f"{kind}_HOURS_WEEKDAYS", env.get(f"{kind}_HOURS_WEEKDAYS", weekdays))
            setattr(self, f"{kind}_HOURS_WEEKEND", env.get(f"{kind}_HOURS_WEEKEND", ""))
            setattr(self, f"{kind}_HOLIDAYS", env.get(f"{kind}_HOLIDAYS", ""))
            setattr(self, f"{kind}_SLOT_MINUTES", _int(env, f"{kind}_SLOT_MINUTES", minutes))
            setattr(self, f"{kind}_SLOT_CAPACITY", _int(env, f"{kind}_SLOT_CAPACITY", capacity))
        _check_working_week(self)

        self.RETURN_WINDOW_NO_REASON_DAYS = _int(env, "RETURN_WINDOW_NO_REASON_DAYS", 7)
        self.RETURN_WINDOW_QUALITY_DAYS = _int(env, "RETURN_WINDOW_QUALITY_DAYS", 30)
        self.RETURN_WINDOW_CROSS_BORDER_DAYS = _int(env, "RETURN_WINDOW_CROSS_BORDER_DAYS", 14)
        self.RETURN_HIGH_VALUE_CENTS = _int(env, "RETURN_HIGH_VALUE_CENTS", 50_000)
        self.REOPEN_WINDOW_DAYS = _int(env, "REOPEN_WINDOW_DAYS", 14)
        # Return fees per parcel (quality problems never cost the customer) and refund timing.
        self.RETURN_FEE_NO_REASON_CENTS = _int(env, "RETURN_FEE_NO_REASON_CENTS", 500)
        self.RETURN_CROSS_BORDER_SHIPPING_CENTS = _int(env, "RETURN_CROSS_BORDER_SHIPPING_CENTS", 1500)
        self.REFUND_DAYS_ORIGINAL_PAYMENT = _int(env, "REFUND_DAYS_ORIGINAL_PAYMENT", 10)
        self.REFUND_DAYS_STORE_CREDIT = _int(env, "REFUND_DAYS_STORE_CREDIT", 1)
        self.RETURN_PHOTO_MAX_MB = _int(env, "RETURN_PHOTO_MAX_MB", 5)
        # Three contacts about the same problem within this many days make a complaint urgent.
        self.COMPLAINT_REPEAT_WINDOW_DAYS = _int(env, "COMPLAINT_REPEAT_WINDOW_DAYS", 30)

        self.LATE_SHIP_GRACE_HOURS = _int(env, "LATE_SHIP_GRACE_HOURS", 0)
        self.LATE_NO_EVENT_HOURS = _int(env, "LATE_NO_EVENT_HOURS", 72)

        # Customer sign-in by e-mail link, guest order lookup and the shop's feed.
        self.SIGNIN_LINK_LIFETIME = _minutes(env, "SIGNIN_LINK_MINUTES", 15)
        self.ACCOUNT_DELETE_LINK_LIFETIME = _minutes(env, "ACCOUNT_DELETE_LINK_MINUTES", 60)
        self.SIGNIN_LIMIT_PER_ADDRESS = env.get("SIGNIN_LIMIT_PER_ADDRESS", "5 per 15 minutes")
        self.SIGNIN_LIMIT_PER_IP = env.get("SIGNIN_LIMIT_PER_IP", "10 per minute;50 per hour")
        self.ORDER_LOOKUP_LIMIT_PER_IP = env.get("ORDER_LOOKUP_LIMIT_PER_IP", "10 per minute")
        self.ORDER_LOOKUP_LIMIT_PER_ORDER = env.get("ORDER_LOOKUP_LIMIT_PER_ORDER", "10 per minute")
        # The help assistant: a person types a message every few seconds at most; a script types faster.
        self.ASSISTANT_LIMIT_PER_SESSION = env.get("ASSISTANT_LIMIT_PER_SESSION", "20 per minute;300 per day")
        self.ASSISTANT_LIMIT_PER_IP = env.get("ASSISTANT_LIMIT_PER_IP", "60 per minute")
        self.SHOP_WEBHOOK_MAX_AGE = timedelta(seconds=_int(env, "SHOP_WEBHOOK_MAX_AGE_SECONDS", 300))
        self.SHOP_WEBHOOK_MAX_BYTES = _int(env, "SHOP_WEBHOOK_MAX_KB", 1024) * 1024
        # Our webhooks to the shop (portal/shop_events.py): the wait before each retry, doubling from a minute
        # to half a day so a shop that is down for a day still gets every event (27 hours in all), then failed.
        self.SHOP_HOOK_RETRY_DELAYS = [
            timedelta(seconds=int(s))
            for s in env.get("SHOP_HOOK_RETRY_SECONDS", "60,300,900,3600,7200,14400,28800,43200").split(",")
        ]
        self.SHOP_HOOK_TIMEOUT = _int(env, "SHOP_HOOK_TIMEOUT_SECONDS", 10)
        # An endpoint on a loopback, private or link-local address is refused, when saved and before each attempt
        # (portal.shop_events.check_endpoint_address: the worker must not become a way into the internal network),
        # except in development or where the shop really is on the private network.
        self.SHOP_HOOK_ALLOW_PRIVATE = env.get("SHOP_HOOK_ALLOW_PRIVATE_ADDRESSES",
                                               "1" if self.DEV_MODE else "0") in ("1", "true", "yes")

        self.FOLLOWUP_DELAY = _hours(env, "FOLLOWUP_DELAY_HOURS", 72)
        self.SURVEY_DELAY = _minutes(env, "SURVEY_DELAY_MINUTES", 60)
        self.SURVEY_REMINDER_DELAY = _hours(env, "SURVEY_REMINDER_DELAY_HOURS", 72)
        self.SURVEY_COOLDOWN = timedelta(days=_int(env, "SURVEY_COOLDOWN_DAYS", 7))
        self.SURVEY_LINK_LIFETIME = timedelta(days=_int(env, "SURVEY_LINK_DAYS", 14))
        # Follow-ups: how long the check-in's Yes/No links work, and when an agent's callback is due.
        self.FOLLOWUP_LINK_LIFETIME = timedelta(days=_int(env, "FOLLOWUP_LINK_DAYS", 14))
        self.CALLBACK_DUE = _hours(env, "CALLBACK_DUE_HOURS", 24)
        self.ARTICLE_FLAG_RATE = _int(env, "ARTICLE_FLAG_PERCENT", 30) / 100
        self.ARTICLE_FLAG_MIN_READERS = _int(env, "ARTICLE_FLAG_MIN_READERS", 20)
        # Help-center search: writer processes and memory for `flask search reindex`, how long synonyms
        # are cached by each web process, and how long a case is attributed to the article read before it.
        self.SEARCH_INDEX_PROCS = _int(env, "SEARCH_INDEX_PROCS", 1)
        self.SEARCH_INDEX_LIMIT_MB = _int(env, "SEARCH_INDEX_LIMIT_MB", 256)
        self.SEARCH_SYNONYM_TTL = _int(env, "SEARCH_SYNONYM_TTL_SECONDS", 30)
        # The embedding model beside the lexical index (help search, triage); 0 keeps both lexical only.
        self.SEMANTIC_SEARCH = _int(env, "SEMANTIC_SEARCH", 1) == 1
        self.ARTICLE_ATTRIBUTION_WINDOW = _minutes(env, "ARTICLE_ATTRIBUTION_MINUTES", 120)

        # Staff sign-in, the agents' queue and the leads' dashboard.
        # Failed staff sign-ins: free failures per account and per source, then waits doubling from 1 s up to
        # the cap; counts fade after the window without a failure (see portal/auth/throttle.py).
        self.STAFF_SIGNIN_FREE_FAILURES = _int(env, "STAFF_SIGNIN_FREE_FAILURES", 3)
        self.STAFF_SIGNIN_FREE_FAILURES_PER_SOURCE = _int(env, "STAFF_SIGNIN_FREE_FAILURES_PER_SOURCE", 10)
        self.STAFF_SIGNIN_MAX_DELAY = _minutes(env, "STAFF_SIGNIN_MAX_DELAY_MINUTES", 15)
        self.STAFF_SIGNIN_FAILURE_WINDOW = _hours(env, "STAFF_SIGNIN_FAILURE_WINDOW_HOURS", 24)
        self.STAFF_DEVICE_LIFETIME = timedelta(days=_int(env, "STAFF_DEVICE_DAYS", 180))
        # Invitations and password-reset links for staff.
        self.STAFF_INVITE_LIFETIME = _hours(env, "STAFF_INVITE_HOURS", 72)
        self.STAFF_RESET_LIFETIME = _minutes(env, "STAFF_RESET_MINUTES", 30)
        self.STAFF_SESSION_LIFETIME = _hours(env, "STAFF_SESSION_HOURS", 12)
        # ...and ends sooner after this long without a page (the default of the "staff_idle_minutes" setting).
        self.STAFF_IDLE_TIMEOUT = _minutes(env, "STAFF_IDLE_MINUTES", 8 * 60)
        # Two-factor sign-in: "admins" (always required for them) or "everyone"; the name apps show.
        self.STAFF_2FA_REQUIRED_FOR = env.get("STAFF_2FA_REQUIRED_FOR", "admins")
        self.TOTP_ISSUER = env.get("TOTP_ISSUER", "Support desk")
        self.AGENT_QUEUE_REFRESH_SECONDS = _int(env, "AGENT_QUEUE_REFRESH_SECONDS", 15)
        self.AGENT_QUEUE_PAGE_SIZE = _int(env, "AGENT_QUEUE_PAGE_SIZE", 50)
        self.LEAD_DASHBOARD_DAYS = _int(env, "LEAD_DASHBOARD_DAYS", 30)
        self.COMPLAINT_SPIKE_FACTOR = _int(env, "COMPLAINT_SPIKE_FACTOR", 3)
        self.COMPLAINT_SPIKE_BASELINE_DAYS = _int(env, "COMPLAINT_SPIKE_BASELINE_DAYS", 14)
        # A brand-new category with one complaint is not a crisis: a spike needs at least this many in 24 h.
        self.COMPLAINT_SPIKE_MIN = _int(env, "COMPLAINT_SPIKE_MIN", 3)
        self.CHURN_RISK_COMPLAINTS = _int(env, "CHURN_RISK_COMPLAINTS", 2)
        self.CHURN_RISK_WINDOW_DAYS = _int(env, "CHURN_RISK_WINDOW_DAYS", 30)
        # Closed days kept as daily roll-ups (a year's range and more), and how long after midnight a day's
        # roll-up is built: long enough for every transaction still open at midnight to have committed.
        self.LEAD_ROLLUP_DAYS = _int(env, "LEAD_ROLLUP_DAYS", 400)
        self.LEAD_ROLLUP_GRACE = _minutes(env, "LEAD_ROLLUP_GRACE_MINUTES", 5)
        # Days one sweep builds at most, so a sweep over an empty history stays within its job timeout.
        self.LEAD_ROLLUP_SWEEP_DAYS = _int(env, "LEAD_ROLLUP_SWEEP_DAYS", 31)

        # `flask serve` (make run): gunicorn processes and threads. Pages are CPU-bound Python, and threads of
        # one process queue for its interpreter lock, so one thread per process keeps the slowest answers fast.
        self.WEB_WORKERS = _int(env, "WEB_WORKERS", 2)
        self.WEB_THREADS = _int(env, "WEB_THREADS", 1)

        self.OUTBOX_RELAY_INTERVAL = float(env.get("OUTBOX_RELAY_INTERVAL_SECONDS", "1"))
        self.OUTBOX_STALE_AFTER = timedelta(seconds=_int(env, "OUTBOX_STALE_SECONDS", 120))
        # A running batch renews its rows' lease every third of this; a killed worker's rows lapse after it.
        self.OUTBOX_LEASE = timedelta(seconds=_int(env, "OUTBOX_LEASE_SECONDS", 30))
        # Due rows handed to RQ per job: each row is still claimed and committed on its own.
        self.OUTBOX_BATCH_SIZE = _int(env, "OUTBOX_BATCH_SIZE", 20)
        self.MAIL_TIMEOUT = _int(env, "MAIL_TIMEOUT_SECONDS", 10)
        # The hourly clean-up: finished periodic runs, and return wizards left unfinished this long.
        self.OUTBOX_KEEP_PERIODIC = timedelta(days=_int(env, "OUTBOX_KEEP_PERIODIC_DAYS", 7))
        self.RETURN_DRAFT_KEEP = timedelta(days=_int(env, "RETURN_DRAFT_KEEP_DAYS", 14))
        # Longer than the longest idle limit a lead can set (7 days), so a pruned row could sign nobody in anyway.
        self.STAFF_SESSION_KEEP = timedelta(days=max(8, _int(env, "STAFF_SESSION_KEEP_DAYS", 30)))
        self.OUTBOX_RETRY_DELAYS = [
            timedelta(seconds=int(s)) for s in env.get("OUTBOX_RETRY_SECONDS", "10,60,600").split(",")
        ]

        # Operations (portal/ops): who may read /metrics, the log format, the alerts e-mailed to the leads.
        # With METRICS_TOKEN set a scrape must send it as a bearer token; unset, only direct (not proxied)
        # requests from METRICS_NETWORKS are answered.
        self.METRICS_TOKEN = env.get("METRICS_TOKEN", "")
        self.METRICS_NETWORKS = [n.strip() for n in env.get("METRICS_NETWORKS", "127.0.0.1/32,::1/128").split(",")
                                 if n.strip()]
        # Where each process writes its counters so a scrape adds up every gunicorn process (`flask serve`
        # sets it for its children); prometheus_client reads it too.
        self.PROMETHEUS_MULTIPROC_DIR = env.get("PROMETHEUS_MULTIPROC_DIR", "")
        self.LOG_FORMAT = env.get("LOG_FORMAT") or ("plain" if self.DEV_MODE else "json")
        # Set by `flask serve` in development: routine lines go to this file, the terminal keeps the warnings.
        self.LOG_FILE = env.get("LOG_FILE", "")
        self.ALERT_OUTBOX_BACKLOG_MINUTES = _int(env, "ALERT_OUTBOX_BACKLOG_MINUTES", 10)
        self.ALERT_MAIL_FAILURES = _int(env, "ALERT_MAIL_FAILURES", 3)
        self.ALERT_MAIL_WINDOW_MINUTES = _int(env, "ALERT_MAIL_WINDOW_MINUTES", 15)
        self.ALERT_SLA_BREACHES = _int(env, "ALERT_SLA_BREACHES", 3)
        self.ALERT_SLA_WINDOW_MINUTES = _int(env, "ALERT_SLA_WINDOW_MINUTES", 60)
        # An episode ends once its condition has been gone this long, so a flapping one mails once.
        self.ALERT_CLEAR_MINUTES = _int(env, "ALERT_CLEAR_MINUTES", 10)
        # Agents on a case page: how often the page reports and refreshes, and how long a report lasts.
        self.PRESENCE_ENABLED = env.get("PRESENCE_ENABLED", "1") != "0"
        self.PRESENCE_POLL_SECONDS = _int(env, "PRESENCE_POLL_SECONDS", 5)
        self.PRESENCE_TTL_SECONDS = _int(env, "PRESENCE_TTL_SECONDS", 15)
        self.PRESENCE_TYPING_SECONDS = _int(env, "PRESENCE_TYPING_SECONDS", 8)

        self.MAX_CONTENT_LENGTH = _int(env, "MAX_UPLOAD_MB", 30) * 1024 * 1024
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Plain http on 127.0.0.1 during development; https everywhere else.
        self.SESSION_COOKIE_SECURE = not self.DEV_MODE
        # A sign-in lasts 14 days from signing in, however busy: no sliding expiry, and so no new cookie
        # signed and sent with every page.
        self.PERMANENT_SESSION_LIFETIME = timedelta(days=14)
        self.SESSION_REFRESH_EACH_REQUEST = False
        # ...and ends sooner when the customer has not opened a page for this long (a shared computer).
        self.CUSTOMER_IDLE_TIMEOUT = _hours(env, "CUSTOMER_IDLE_HOURS", 48)
        # Proxies in front of the app whose X-Forwarded-Proto/-For we believe (0: talk to browsers directly).
        self.TRUSTED_PROXIES = _int(env, "TRUSTED_PROXIES", 0)
        self.WTF_CSRF_TIME_LIMIT = None

        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = "UTC"
        self.LANGUAGES = ["en", "zh"]
        self.RATELIMIT_STORAGE_URI = _limits_storage_uri(self.REDIS_URL)
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_HEADERS_ENABLED = True

    def as_dict(self):
        return {k: v for k, v in vars(self).items() if k.isupper()}


def _check_working_week(config):
    """Refuse to start on a working week that cannot be read, rather than fail when a case is opened."""
    from portal.business_hours import check_zone, parse_day, parse_holidays

    if set(config.SLA_CLOCK.values()) - {"calendar", "business"}:
        raise ValueError("SLA_<URGENCY>_CLOCK must be calendar or business")
    check_zone(config.SHOP_TIMEZONE)
    parse_day(config.BUSINESS_HOURS_WEEKDAYS)
    parse_day(config.BUSINESS_HOURS_WEEKEND)
    parse_holidays(config.SHOP_HOLIDAYS)
    for kind in ("REPAIR", "CALLBACK"):
        parse_day(getattr(config, f"{kind}_HOURS_WEEKDAYS"))
        parse_day(getattr(config, f"{kind}_HOURS_WEEKEND"))
        parse_holidays(getattr(config, f"{kind}_HOLIDAYS"))
        if not 5 <= getattr(config, f"{kind}_SLOT_MINUTES") <= 480 or getattr(config, f"{kind}_SLOT_CAPACITY") < 1:
            raise ValueError(f"{kind}_SLOT_MINUTES must be 5-480 and {kind}_SLOT_CAPACITY at least 1")


def _domain_of(address):
    return address.rsplit("@", 1)[-1].strip(" >") or "localhost"


def _limits_storage_uri(redis_url):
    # The `limits` package spells a unix-socket Redis as redis+unix://.
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url
