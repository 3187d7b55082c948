"""The one validation layer for client frames on /ws/ (docs/messaging.md, "Frames").

``parse_frame(text)`` turns the text of a frame into a dict or raises
``BadFrame`` with the error code, the reason and (for a field) the fix. It
refuses what the REST API refuses, before any handler runs:

- more than ``MAX_FRAME_BYTES`` of UTF-8, or JSON nested deeper than
  ``MAX_DEPTH`` (checked before parsing: a deep frame never reaches the parser's
  recursion);
- not a JSON object, or no string ``type``;
- any string (key or value) with NUL or a lone surrogate (PostgreSQL and UTF-8
  cannot store them);
- an id or sequence number that is not an integer (``6.0``, ``"6"`` or ``true``
  are refused, not coerced), and ``resume``'s conversation keys that are not
  decimal ids.
"""

import json
import re

from core.json_limits import json_depth

MAX_FRAME_BYTES = 64 * 1024
MAX_DEPTH = 8  # the deepest real frame (resume: object → conversations → seq) is 2
# field → smallest allowed value; each must be a JSON integer when present
INTEGER_FIELDS = {"conversation": 1, "question": 1, "seq": 1, "reply_to": 1, "last_read_seq": 0}
STRING_FIELDS = ("type", "client_id", "body", "state", "since")

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DECIMAL_ID = re.compile(r"[1-9][0-9]{0,17}")


class BadFrame(Exception):
    def __init__(self, code: str, reason: str, *, fields: dict | None = None):
        super().__init__(reason)
        self.code, self.reason, self.fields = code, reason, fields
        self.ref = None  # the frame's ref, once it parsed


def _field_error(name: str, fix: str) -> BadFrame:
    return BadFrame("invalid", f"{name}: {fix}", fields={name: [fix]})


def _check_strings(value, path: str = "") -> None:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                name = where or "frame"
                raise _field_error(name, "Remove NUL characters and unpaired surrogates (\\u0000, \\ud800).")
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((key, where or key))
                stack.append((child, where or key))
        elif isinstance(item, list):
            stack.extend((child, where) for child in item)


def _check_fields(frame: dict) -> None:
    for name, smallest in INTEGER_FIELDS.items():
        value = frame.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
            raise _field_error(
                name, f'Send a whole number of at least {smallest}, e.g. 12 (not 12.0 or "12").'
            )
    for name in STRING_FIELDS:
        if frame.get(name) is not None and not isinstance(frame[name], str):
            raise _field_error(name, "Send a string.")
    conversations = frame.get("conversations")
    if (
        frame["type"] == "resume"
        and isinstance(conversations, dict)
        and not all(_DECIMAL_ID.fullmatch(key) for key in conversations)
    ):
        raise _field_error(
            "conversations", 'Keys are conversation ids written as decimal strings, e.g. {"12": 40}.'
        )


def parse_frame(text: str) -> dict:
    """The frame as a dict, or ``BadFrame``."""
    if len(text) > MAX_FRAME_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise BadFrame("frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
    if json_depth(text) > MAX_DEPTH:
        raise BadFrame("frame_too_deep", f"Frames may nest at most {MAX_DEPTH} levels of objects and arrays.")
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        raise BadFrame("bad_json", "The frame is not valid JSON.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BadFrame("missing_type", 'Every frame needs a string "type".')
    try:
        _check_strings(frame)
        _check_fields(frame)
    except BadFrame as bad:
        ref = frame.get("ref")
        bad.ref = ref if isinstance(ref, str | int) and not isinstance(ref, bool) else None
        raise
    return frame
