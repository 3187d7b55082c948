"""The Redis channel layer's connections must outwait channels-redis's blocking pop.

redis-py 8 gives every connection a 5 s read timeout by default, and
channels-redis waits on BZPOPMIN for 5 s: an idle socket's receive then timed out
just as Redis answered "nothing yet", and the consumer died (seen in CI as a
ghost "online" presence). The layer's hosts set a longer read timeout."""

import pytest
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from channels_redis.utils import create_pool


@pytest.mark.redis
def test_the_layer_reads_longer_than_its_blocking_pop(settings):
    if settings.CHANNEL_LAYER != "lists":
        pytest.skip("CHANNEL_LAYER=pubsub: no blocking pop (a subscription reads with its own timeout)")
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    for host in layer.hosts:
        timeout = create_pool(host).connection_kwargs["socket_timeout"]
        assert timeout is not None and timeout > layer.brpop_timeout + 5
