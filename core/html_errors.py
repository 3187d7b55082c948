"""The one HTML error path: domain errors to pages, statuses and form errors.

REST has one exception handler (``core.api_errors``); HTML pages have this module:

- ``DomainErrorMiddleware``: a ``DomainError`` that a view lets through becomes the
  404 page (``NotFound``: missing and not-yours look the same), the 403 page
  (``PermissionDenied``) or, for a rule a button broke (``Conflict``,
  ``ValidationFailed``), the page the person came from with the message (and the
  field details a form would have shown) flashed — so a view that has no form to
  re-render needs no ``try`` at all. "The page they came from" is the POST's ``next``
  field, else the Referer, else the home page (``back_url``). With ``DEBUG`` on (the
  embedded default) it also answers an unknown address, an ``Http404`` and an
  unexpected exception with the same friendly ``404.html`` / ``500.html`` pages that
  Django uses with ``DEBUG`` off, instead of the debug pages (the traceback still goes
  to the log).
- ``form_error`` puts a service's field errors on the form that sent them, and
  ``form_status`` is the status to re-render that form with.
- ``run_form`` is the form-post pattern in one call: run the service, or put its
  error on the form.
"""

import logging
import sys
from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.signals import got_request_exception
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError, NotFound, PermissionDenied

T = TypeVar("T")

FORBIDDEN_TEMPLATE = "accounts/workspace_forbidden.html"
NOT_FOUND_TEMPLATE = "404.html"
SERVER_ERROR_TEMPLATE = "500.html"

logger = logging.getLogger("django.request")


def form_error(form: forms.Form, error: DomainError, *, rename: dict[str, str] | None = None) -> None:
    """Put a service's field errors on the form's fields (``rename`` maps a service's
    field name to the form's); the error's message, and messages for fields the form
    does not have, become non-field errors."""
    on_a_field = False
    elsewhere: list[str] = []
    for field, field_messages in (error.fields or {}).items():
        field = (rename or {}).get(field, field)
        if field in form.fields:
            for message in field_messages:
                form.add_error(field, message)
            on_a_field = True
        else:
            elsewhere.extend(field_messages)
    if not on_a_field:
        form.add_error(None, error.message)
    for message in elsewhere:
        form.add_error(None, message)
    form.domain_error = error


def form_status(form: forms.Form) -> int:
    """The status to re-render an invalid form with: the domain error's (a "not found"
    inside a valid page is a 400: the page exists, the value in the form does not), else 400."""
    error = getattr(form, "domain_error", None)
    if error is None or error.status == 404:
        return 400
    return error.status


def run_form(form: forms.Form, action: Callable[[], T], *, rename: dict[str, str] | None = None) -> T | None:
    """Validate ``form`` and call ``action()`` (a service call). Returns its result, or None
    with the errors on the form (shape errors, or the service's ``DomainError``)."""
    if not form.is_valid():
        return None
    try:
        return action()
    except DomainError as error:
        form_error(form, error, rename=rename)
        return None


def back_url(request, *, default: str = "/") -> str:
    """Where a POST from a page returns to: its ``next`` field, else the Referer, else
    ``default``; only ever a URL on this site."""
    target = request.POST.get("next") or request.headers.get("Referer") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return default
    return target


def error_text(error: DomainError) -> str:
    """The message with its field details, for a page that has no form to show them on."""
    details = [message for field_messages in (error.fields or {}).values() for message in field_messages]
    return " ".join([error.message, *details])


class DomainErrorMiddleware:
    """Maps a ``DomainError`` that escaped an HTML view (API views answer through DRF's
    handler before this sees anything)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        unmatched = getattr(request, "resolver_match", None) is None
        if settings.DEBUG and response.status_code == 404 and unmatched:
            # no URL matched: Django's debug page would list every route
            return render(request, NOT_FOUND_TEMPLATE, status=404)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return self._debug_error_page(request, exception) if settings.DEBUG else None
        if isinstance(exception, NotFound):
            return render(request, NOT_FOUND_TEMPLATE, status=404)
        if isinstance(exception, PermissionDenied):
            return render(request, FORBIDDEN_TEMPLATE, {"message": exception.message}, status=403)
        if request.method in ("GET", "HEAD"):
            return render(
                request,
                "errors/domain_error.html",
                {"message": error_text(exception)},
                status=exception.status,
            )
        messages.error(request, error_text(exception))
        return redirect(back_url(request))

    def _debug_error_page(self, request, exception):
        if isinstance(exception, Http404):
            return render(request, NOT_FOUND_TEMPLATE, status=404)
        logger.error(
            "Internal Server Error: %s", request.path, exc_info=sys.exc_info(), extra={"status_code": 500}
        )
        got_request_exception.send(sender=self.__class__, request=request)
        # the 500 page needs nothing from the request: whatever broke cannot break it too
        return render(None, SERVER_ERROR_TEMPLATE, status=500)
