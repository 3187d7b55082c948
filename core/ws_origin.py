"""The WebSocket origin check: scheme, host and port, not the host alone.

A socket is accepted when its ``Origin`` is

- one of ``settings.WEBSOCKET_ALLOWED_ORIGINS`` (exact ``scheme://host[:port]``;
  default: ``CSRF_TRUSTED_ORIGINS`` plus the origin of ``SITE_URL``), or
- the server's own origin: the scheme the server sees (``https`` for ``wss``,
  which behind a proxy comes from a trusted ``X-Forwarded-Proto``) with the
  ``Host`` header, when that host is in ``ALLOWED_HOSTS``.

Anything else — another port or scheme on the same host, a foreign site, no
Origin at all — is refused before the handshake (HTTP 403).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalized_origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, default ports filled in; None if malformed."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def allowed_origins() -> set[tuple[str, str, int]]:
    configured = getattr(settings, "WEBSOCKET_ALLOWED_ORIGINS", None)
    if configured is None:
        configured = [*settings.CSRF_TRUSTED_ORIGINS, settings.SITE_URL]
    return {origin for value in configured if (origin := normalized_origin(value))}


def origin_allowed(scope) -> bool:
    headers = dict(scope.get("headers") or [])
    origin = normalized_origin(headers.get(b"origin", b"").decode("latin-1"))
    if origin is None:
        return False
    if origin in allowed_origins():
        return True
    host_header = headers.get(b"host", b"").decode("latin-1")
    domain, _ = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return origin == normalized_origin(f"{scheme}://{host_header}")


class OriginValidator:
    """ASGI middleware for the websocket router (mentoring.config.asgi)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            # refuse the handshake (HTTP 403) without a consumer: channels' WebsocketDenier
            # would open a channel-layer receive for a socket that never gets in
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close"})
            return None
        return await self.application(scope, receive, send)
