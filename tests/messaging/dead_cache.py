"""A cache whose server is down, to inject where a module reads its cache."""

from redis.exceptions import ConnectionError as RedisConnectionError


class DeadCache:
    """Every call raises like django's RedisCache does when Redis is unreachable."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        return fail
