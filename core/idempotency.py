"""Forms that create something run once per page: a double submit (a double click,
a retried POST) lands on the first result instead of creating a second one.

The page renders a per-form token (``form_token(request)``, as the hidden input
``form_token``); the view wraps its work in ``submit_once(request, work)``, where
``work()`` performs the service call and returns the URL of what it made (or None
when the form had errors, so the same page can be corrected and sent again).

The first submit with a token claims it in the cache (an atomic ``add``); a
repeat gets the first one's URL, waiting a little if the first is still running.
Tokens are per person and kept for ``KEEP_SECONDS``. If the cache is unreachable
the work runs unguarded: a Redis outage must not stop people from asking.
"""

import re
import time
import uuid
from collections.abc import Callable

from django.core.cache import cache

from core.errors import Conflict

FIELD = "form_token"
KEEP_SECONDS = 24 * 3600
WAIT_SECONDS = 10.0
_PENDING = "pending"
_TOKEN = re.compile(r"[0-9a-f]{32}")


def form_token(request) -> str:
    """The token to render in the form: the one it was posted with (a page shown
    again with errors keeps it), else a new one."""
    posted = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return posted if _TOKEN.fullmatch(posted) else uuid.uuid4().hex


def submit_once(request, work: Callable[[], str | None]) -> str | None:
    """Run ``work`` once per form token; the URL of the result (the first
    submit's, for a repeat), or None when ``work`` found errors."""
    token = request.POST.get(FIELD, "")
    if not _TOKEN.fullmatch(token):
        return work()  # an old page without a token: nothing to match it by
    key = f"form-once:{request.user.pk}:{token}"
    try:
        claimed = cache.add(key, _PENDING, timeout=KEEP_SECONDS)
    except Exception:  # the cache is down: run unguarded (see the module docstring)
        return work()
    if claimed:
        try:
            url = work()
        except BaseException:
            cache.delete(key)
            raise
        if url is None:
            cache.delete(key)  # errors on the form: the corrected page may be sent again
        else:
            cache.set(key, url, timeout=KEEP_SECONDS)
        return url
    deadline = time.monotonic() + WAIT_SECONDS
    while (url := cache.get(key)) == _PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
    if url is None or url == _PENDING:
        raise Conflict("This form is still being sent; reload the page in a moment.", code="form_pending")
    return url
