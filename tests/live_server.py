"""uvicorn serving ``mentoring.config.asgi.application`` in a thread of the test
process (HTTP and WebSockets), so it shares the test database: tests that use it
need ``transactional_db``. Used by the browser tests and by the health tests."""

import socket
import threading
import time

SERVER_START_SECONDS = 60


class LiveServer:
    def __init__(self):
        import uvicorn

        from mentoring.config.asgi import application

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application,
            lifespan="off",
            ws="websockets-sansio",
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="uvicorn", daemon=True
        )

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn stopped while starting")
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start within {SERVER_START_SECONDS}s")
            self.thread.join(0.05)
        return self

    def stop(self):
        self.server.should_exit = True
        self.thread.join(30)
        self.socket.close()
