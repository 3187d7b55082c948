"""``Cache-Control: private, no-store`` on every response a signed-in person
gets and on every API response: a shared proxy or the browser's back-forward
cache must not keep someone's pages, data or tokens.

Static files never reach this middleware (WhiteNoise answers them earlier in
MIDDLEWARE, with its own long cache); a view that already forbids storing
(``never_cache``) keeps its header.
"""

from django.utils.cache import patch_cache_control

API_PREFIX = "/api/"


class PrivateNoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF sets it here too for token requests
        signed_in = user is not None and user.is_authenticated
        private = signed_in or request.path.startswith(API_PREFIX)
        if private and "no-store" not in response.get("Cache-Control", ""):
            response.headers.pop("Cache-Control", None)
            patch_cache_control(response, private=True, no_store=True)
        return response
