"""The REST API's JSON parser: DRF's, with a nesting limit.

A body nested deeper than ``API_MAX_JSON_DEPTH`` is a 400 (``parse_error``)
in the error envelope instead of a RecursionError; bodies over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` are a 413 (``core.api_errors``).
"""

import codecs
import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.json_limits import json_depth

DEFAULT_MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except UnicodeDecodeError:
            raise ParseError(f"The body is not valid {encoding} text.") from None
        limit = getattr(settings, "API_MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH)
        if json_depth(text) > limit:
            raise ParseError(f"JSON may nest at most {limit} levels of objects and arrays.")
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
