"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Sockets are origin-checked (scheme, host and port: core.ws_origin) and authenticated from the
Django session; the consumer itself closes unauthenticated sockets with 4401.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core import process  # noqa: E402
from core.ws_origin import OriginValidator  # noqa: E402
from mentoring.config.websocket_urls import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
process.settle()  # what is loaded now lives as long as the process (core.process)
