"""How deep a JSON text nests, measured without parsing it.

Python's ``json`` recurses once per level: a body of 50,000 ``[`` raises
RecursionError (a 500) before any validation runs. Callers measure first and
refuse what is deeper than they accept: the REST parser (``core.parsers``) and
the socket frame layer (``messaging.sockets.frames``).
"""

import re

_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """The deepest nesting of objects and arrays in ``text`` (brackets inside
    strings do not count). Linear in the length of the text."""
    deepest = depth = 0
    for bracket in _BRACKETS.findall(_STRING_LITERAL.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest
