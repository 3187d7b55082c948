"""Attach the viewer's active membership and workspace to every request (lazily: a
request that never asks costs no query). Reads and checks live in ``accounts.access``
(``membership_of``)."""

from accounts.access import bind_read_request, lazy_membership, unbind_read_request


class WorkspaceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = lazy_membership(request)
        token = bind_read_request(request)
        try:
            return self.get_response(request)
        finally:
            unbind_read_request(token)
