"""Tandem settings: one module, driven by the environment through one ``env``.

Defaults make ``make run`` work with nothing installed (SQLite, in-memory
channel layer, Celery over kombu's filesystem transport). ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis. ``DJANGO_ENV=production`` only
makes things stricter and fails fast on a missing secret.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise environ.ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}"
    )
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test"

# --- Core -------------------------------------------------------------------
if PRODUCTION:
    # No defaults: refuse to start without them, and say what to set.
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise environ.ImproperlyConfigured(
            "DJANGO_ENV=production needs SECRET_KEY: set it to a long random string "
            "(at least 50 characters, e.g. `openssl rand -hex 40`)."
        )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise environ.ImproperlyConfigured(
            "DJANGO_ENV=production needs ALLOWED_HOSTS: set it to the comma-separated host "
            "names Tandem is served under (e.g. ALLOWED_HOSTS=tandem.example.com)."
        )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789-abcdefghijklmnop")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links that leave a request (e-mails sent by tasks) need the public address. Unset, it
# is the address `make run` serves (the Makefile passes TANDEM_HOST/TANDEM_PORT to every
# process), with a wildcard bind shown as the loopback address.
_served_host = env.str("TANDEM_HOST", default="127.0.0.1")
if _served_host in {"0.0.0.0", "::", "[::]", ""}:  # noqa: S104 - reading the bind address, not binding
    _served_host = "127.0.0.1"
elif ":" in _served_host and not _served_host.startswith("["):
    _served_host = f"[{_served_host}]"
SITE_URL = env.str("SITE_URL", default=f"http://{_served_host}:{env.int('TANDEM_PORT', default=8000)}")
# Origins (scheme://host[:port]) whose pages may open /ws/ besides the server's own
# origin (core.ws_origin); unset: CSRF_TRUSTED_ORIGINS plus SITE_URL's origin.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=None)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    # third party
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets as static files, not from a CDN
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",  # company sign-in: each workspace's SSO connection (accounts.sso)
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    # ours
    "accounts",
    "mentoring",
    "messaging",
    "trust",
    "dashboard",
    "mentoring.config",  # the wiring: commands that drive every app (seed_demo); no models
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.WorkspaceMiddleware",
    "accounts.mfa_policy.MfaRequiredMiddleware",
    "core.html_errors.DomainErrorMiddleware",
    "core.cache_control.PrivateNoStoreMiddleware",
]

ROOT_URLCONF = "mentoring.config.urls"
WSGI_APPLICATION = "mentoring.config.wsgi.application"
ASGI_APPLICATION = "mentoring.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspace",
            ],
        },
    },
]
# Inputs and selects rendered in Python, the same HTML as Django's templates (core.form_rendering).
FORM_RENDERER = "core.form_rendering.FastRenderer"

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share the file: WAL plus IMMEDIATE transactions and a
    # generous busy timeout keep concurrent writers from failing with "locked".
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    _db["ENGINE"] = "django.db.backends.postgresql"
    _db.setdefault("OPTIONS", {})
    if env.bool("DB_POOL", default=True):
        _db["CONN_MAX_AGE"] = 0  # the pool owns connection lifetime
        _db["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN", default=1),
            "max_size": env.int("DB_POOL_MAX", default=20),
            "timeout": env.int("DB_POOL_TIMEOUT", default=10),
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        _db["CONN_HEALTH_CHECKS"] = True
USING_POSTGRES = _db["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker -------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CHANNEL_LAYER_READ_TIMEOUT_SECONDS = 15  # > channels-redis's brpop_timeout (5 s)
# With Redis: "lists" (channels-redis's core layer: a list per channel, a group send writes
# to every member's list) or "pubsub" (one PUBLISH per group send; each web process
# subscribes once per group and hands the event to its own sockets). Both are doorbells
# only: a lost event costs latency, never data. Without Redis: the in-memory layer.
CHANNEL_LAYER = env.str("CHANNEL_LAYER", default="lists")
if CHANNEL_LAYER not in {"lists", "pubsub"}:
    raise environ.ImproperlyConfigured(f"CHANNEL_LAYER must be lists or pubsub, not {CHANNEL_LAYER!r}")
# Reads kept until a write makes them stale (core.read_cache): on with a shared cache
# (Redis) and in tests (one process); off in the embedded default, whose web, worker and
# beat processes each have their own in-memory cache.
READ_CACHE = env.bool("READ_CACHE", default=bool(REDIS_URL) or TESTING)
READ_CACHE_SECONDS = env.int("READ_CACHE_SECONDS", default=300)
# The dashboard's overview figures are kept this long (the page says as of when).
DASHBOARD_FIGURES_SECONDS = env.int("DASHBOARD_FIGURES_SECONDS", default=60)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="tandem"),
            # a frozen Redis fails a cache call after 5 s instead of holding the request
            # (and the readiness check's thread) for ever
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer"
            if CHANNEL_LAYER == "lists"
            else "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the same as
                # channels-redis's 5 s BZPOPMIN: an idle socket's receive could time
                # out just as the server answered "nothing yet", killing the consumer.
                # The read timeout must be longer than the blocking pop.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": CHANNEL_LAYER_READ_TIMEOUT_SECONDS,
                        "socket_connect_timeout": 5,
                    }
                ],
                "prefix": env.str("CHANNEL_PREFIX", default="tandem"),
            },
        }
    }
    if CHANNEL_LAYER == "lists":
        # channels-redis keeps one list per web process (every socket of the process
        # reads from it; a group send adds one entry per process, whatever the number of
        # its sockets) and one buffer per socket, both bounded by `capacity`; past it,
        # sends are dropped. Sized for bursts (a reconnect wave, a busy chat) with
        # presence coalesced (PRESENCE_*); `expiry` bounds what a stalled process holds.
        CHANNEL_LAYERS["default"]["CONFIG"].update(
            {"capacity": env.int("CHANNEL_LAYER_CAPACITY", default=5000), "expiry": 60}
        )
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The embedded default: in memory, relayed between make run's processes through a
    # SQLite file (core/channel_layers.py), so a worker's notification reaches an open
    # tab. Tests keep the plain in-memory layer (one process, no file).
    CHANNEL_RELAY_PATH = env.str("CHANNEL_RELAY_PATH", default=str(VAR_DIR / "channel-relay.sqlite3"))
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
        if TESTING
        else {
            "BACKEND": "core.channel_layers.RelayedInMemoryChannelLayer",
            "CONFIG": {"relay_path": CHANNEL_RELAY_PATH, "poll_interval": 0.2},
        }
    }

# Presence fan-out (messaging.sockets.presence): conversations up to this size get one
# `presence` frame per change; larger ones one `presence.summary` at most this often.
PRESENCE_DIRECT_MAX_MEMBERS = env.int("PRESENCE_DIRECT_MAX_MEMBERS", default=50)
PRESENCE_SUMMARY_SECONDS = env.float("PRESENCE_SUMMARY_SECONDS", default=2.0)

# Web processes on this machine (uvicorn reads the same variable for --workers; the
# Procfile and docker-compose default it to the cores). Several processes must share
# the channel layer and the cache (presence, rate limits): refuse the in-process ones.
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=1)
if WEB_CONCURRENCY > 1 and (
    CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    or CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
):
    raise environ.ImproperlyConfigured(
        f"WEB_CONCURRENCY={WEB_CONCURRENCY} runs several web processes, which must share the "
        "channel layer and the cache: set REDIS_URL, or WEB_CONCURRENCY=1 for the embedded default."
    )

# --- Celery -----------------------------------------------------------------
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(VAR_DIR / "celery")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),  # kombu's default is ./control
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_RESULT_EXPIRES = None  # no results stored, so no nightly backend_cleanup entry in beat
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}  # filled from each app's ``beat.py`` in mentoring/config/celery.py

# --- Auth (django-allauth) -------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.signup.SignupNameForm"  # asks for the name too
ACCOUNT_FORMS = {  # the workspace's "SSO required" rule on every way to a password
    "change_password": "accounts.forms.passwords.SsoAwareChangePasswordForm",
    "set_password": "accounts.forms.passwords.SsoAwareSetPasswordForm",
    "reset_password_from_key": "accounts.forms.passwords.SsoAwareResetPasswordKeyForm",
}
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
if env.bool("DISABLE_RATE_LIMITS", default=False):
    ACCOUNT_RATE_LIMITS = False
# Company sign-in (accounts.sso): no provider is configured here; each workspace's
# connection is a SocialApp built from its SsoConnection row by the adapter.
SOCIALACCOUNT_ADAPTER = "accounts.sso.socialaccount.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # a person is matched by (issuer, subject) only
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # the workspace's IdP vouches for its own domain
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("SSO_REQUESTS_TIMEOUT_SECONDS", default=10)
SOCIALACCOUNT_PROVIDERS: dict = {}
# allauth's rate limits key on REMOTE_ADDR (see REST_FRAMEWORK["NUM_PROXIES"])
ALLAUTH_TRUSTED_PROXY_COUNT = 0
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tandem"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tandem <no-reply@tandem.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ---------------------------------------------------------------
API_MAX_JSON_DEPTH = 32  # deeper REST bodies are a 400 (core.parsers), never a RecursionError
# bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) are a 413 in the error envelope
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsWorkspaceMember"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",  # with a nesting limit (API_MAX_JSON_DEPTH)
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.openapi.AutoSchema",  # every error status, with the envelope
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    # client IPs are REMOTE_ADDR only: uvicorn has already replaced it with the
    # X-Forwarded-For of a trusted proxy (FORWARDED_ALLOW_IPS), and nobody else's
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
        "core.throttling.WriteRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_RATE_USER", default="1200/min"),
        "anon": env.str("API_RATE_ANON", default="60/min"),
        "writes": env.str("API_RATE_WRITES", default="120/min"),
        "scim": env.str("API_RATE_SCIM", default="600/min"),  # per workspace token
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "DESCRIPTION": "Mentoring in the networked workplace. Real-time protocol: see docs/messaging.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # the browsable API docs load Swagger UI from our own static files (CSP: 'self' only)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RoutingStateEnum": "messaging.models.Question.RoutingState",
        "RoutingOutcomeEnum": "messaging.models.RoutingAttempt.Outcome",
        "RoutingViewerRoleEnum": ["asker", "manager", "candidate"],
        "QuestionStateEnum": "messaging.models.Question.State",
    },
}

# --- Internationalization ----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (our own + npm packages; nothing from a CDN) ----------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/pico", NODE_MODULES / "@picocss" / "pico" / "css"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/cytoscape", NODE_MODULES / "cytoscape" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Behind uvicorn the scheme already comes from X-Forwarded-Proto of a trusted proxy
    # only (FORWARDED_ALLOW_IPS); Django reading the header itself would believe anyone.
    # Only a WSGI deployment behind a proxy that always sets the header needs this.
    if env.bool("USE_X_FORWARDED_PROTO", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$"]

# --- Health (mentoring/config/health.py) -------------------------------------
# each readiness check (database, cache, channel layer, broker) gets this long
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)

# --- Product parameters -----------------------------------------------------
TANDEM_INVITE_LINK_DAYS = env.int("TANDEM_INVITE_LINK_DAYS", default=14)
TANDEM_MAX_CAPACITY = 20
TANDEM_DIRECTORY_PAGE_SIZE = 20
# Minutes a notification may stay unread before it is e-mailed, for people who did
# not choose their own delay (0 = at once). The test run uses 0 so tests that
# predate in-app notifications still see their mail; tests of the delay set it.
TANDEM_NOTIFICATION_EMAIL_DELAY_MINUTES = env.int(
    "TANDEM_NOTIFICATION_EMAIL_DELAY_MINUTES", default=0 if TESTING else 30
)
# "Ask the network" routing (messaging/routing/, docs/messaging.md "Routing").
ROUTING_WAVE_SIZE = env.int("ROUTING_WAVE_SIZE", default=3)  # people notified per wave
ROUTING_WAVE_DELAY_SECONDS = env.int("ROUTING_WAVE_DELAY_SECONDS", default=600)  # until the next wave
ROUTING_MAX_WAVES = env.int("ROUTING_MAX_WAVES", default=5)
ROUTING_DAILY_CAP = env.int("ROUTING_DAILY_CAP", default=3)  # unsolicited requests per person per 24 h
ROUTING_EXPLORATION_SHARE = env.float("ROUTING_EXPLORATION_SHARE", default=0.1)
ROUTING_WINDOW_WORKING_MINUTES = env.int("ROUTING_WINDOW_WORKING_MINUTES", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
