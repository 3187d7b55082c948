"""The OpenAPI schema describes every answer an operation can give.

``AutoSchema`` (settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) adds to every
operation the error statuses the API answers with, each with the one error
envelope of ``core.api_errors`` (``ErrorEnvelope``), and gives an error response
that a view documented with a description only the envelope as its body. List
views with ``pagination_class`` are documented as ``{count, next, previous,
results}`` by drf-spectacular itself.
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetail(serializers.Serializer):
    code = serializers.CharField(help_text="What went wrong, e.g. invalid, not_found, conflict, throttled.")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per field (dotted for nested ones): what is wrong and how to fix it.",
    )


class ErrorEnvelope(serializers.Serializer):
    error = ErrorDetail()


ERROR_STATUSES = {
    "400": "Invalid input: error.fields names each field and the fix.",
    "401": "Not signed in (no session or token).",
    "403": "Signed in, but not allowed here (no workspace, wrong role, or CSRF).",
    "404": "Not found (also when it exists but is not yours).",
    "405": "This method is not allowed here.",
    "409": "Conflicts with the current state (e.g. already done, or just changed).",
    "413": "The request body is too large.",
    "415": "The body's media type is not accepted.",
    "429": "Too many requests; error.code is throttled.",
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in ERROR_STATUSES.items():
            documented = responses.get(code)
            if documented is None or "content" not in documented:
                text = (documented or {}).get("description") or description
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorEnvelope, description=text), code, direction=direction
                )
        return responses
