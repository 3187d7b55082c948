"""A page's WebSockets routed through Playwright, so a test can cut them.

``Network(page)`` must be made before the page opens ``/ws/``: every socket of
the page then goes through it (``opened`` counts them). ``drop()`` closes the
live one from the server's side (the server sees the close too; the page sees
``code``, by default 1012 "service restart", and reconnects); ``go_offline()``
drops every socket it has open and refuses new ones until ``go_online()``."""

import contextlib

SERVICE_RESTART = 1012
INTERNAL_ERROR = 1011


class Network:
    def __init__(self, page):
        self.page = page
        self.offline = False
        self.opened = 0  # sockets the page opened (refused ones included)
        self.connections = []  # (page side, server side) of each socket let through
        page.route_web_socket("**/ws/", self._route)

    def _route(self, ws):
        self.opened += 1
        if self.offline:
            ws.close(code=INTERNAL_ERROR, reason="offline")
            return
        self.connections.append((ws, ws.connect_to_server()))

    def drop(self, code=SERVICE_RESTART):
        """Close the page's current socket as the server would."""
        page_side, server_side = self.connections[-1]
        server_side.close()
        page_side.close(code=code, reason="dropped by the test")

    def go_offline(self):
        """Drop every socket the page has open (not only the latest: a socket of an
        earlier page state still open kept the person online for the others) and refuse
        new ones until ``go_online()``."""
        self.offline = True
        for page_side, server_side in self.connections:
            with contextlib.suppress(Exception):  # closed already
                server_side.close()
            with contextlib.suppress(Exception):
                page_side.close(code=SERVICE_RESTART, reason="offline")

    def go_online(self):
        self.offline = False
