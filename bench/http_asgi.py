"""The product's ASGI app with one extra URL for the HTTP read benchmark's baseline:

    uvicorn http_asgi:application        (PYTHONPATH=bench)

``GET /bench/trivial`` is the smallest view that still goes through everything every
page pays: the whole middleware stack, the session and the signed-in user (a plain-text
"ok"). Every other URL is the product's own (``mentoring.config.urls``).
"""

from django.conf import settings
from django.http import HttpResponse
from django.urls import path

from mentoring.config.asgi import application  # noqa: F401  (sets Django up first)
from mentoring.config.urls import urlpatterns as product_urlpatterns


def trivial(request):
    return HttpResponse(b"ok" if request.user.is_authenticated else b"anonymous", content_type="text/plain")


urlpatterns = [path("bench/trivial", trivial), *product_urlpatterns]
settings.ROOT_URLCONF = __name__
