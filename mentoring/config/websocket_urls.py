from django.urls import path

from messaging.sockets.consumers import TandemConsumer

websocket_urlpatterns = [path("ws/", TandemConsumer.as_asgi())]
