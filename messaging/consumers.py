"""The one WebSocket per browser tab, at /ws/ (protocol: docs/api.md).

Authenticated from the Django session (close code 4401 otherwise); the origin
is checked by AllowedHostsOriginValidator in mentoring/asgi.py. Bad frames get
an error frame and the socket stays open.
"""

import json

from channels.generic.websocket import AsyncJsonWebsocketConsumer

CLOSE_UNAUTHENTICATED = 4401
CLOSE_SESSION_ENDED = 4403
MAX_FRAME_BYTES = 64 * 1024


def user_group(user_id: int) -> str:
    """Every socket of one user joins this group (used to close them all on logout)."""
    return f"user.{user_id}"


class TandemConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.groups_joined = [user_group(user.id)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.id})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if bytes_data is not None or text_data is None:
            await self.send_error("bad_frame", "Frames must be JSON text, not binary.")
            return
        if len(text_data) > MAX_FRAME_BYTES:
            await self.send_error("frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_json", "The frame is not valid JSON.")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("missing_type", 'Every frame needs a string "type".')
            return
        frame_type = content["type"]
        handler = self.HANDLERS.get(frame_type)
        if handler is None:
            await self.send_error(
                "unknown_type", f"Unknown frame type {frame_type!r}.", ref=content.get("ref")
            )
            return
        await handler(self, content)

    async def handle_ping(self, content):
        await self.send_json({"type": "pong", "ref": content.get("ref")})

    HANDLERS = {"ping": handle_ping}

    async def send_error(self, code: str, reason: str, *, ref=None, **extra):
        frame = {"type": "error", "code": code, "reason": reason}
        if ref is not None:
            frame["ref"] = ref
        frame.update(extra)
        await self.send_json(frame)

    # --- channel-layer events (doorbells) -------------------------------------
    async def session_revoked(self, event):
        """Logout or deactivation: close every socket of this user."""
        await self.close(code=CLOSE_SESSION_ENDED)
