"""Names people see: normalised, and free of characters that hide or fake text.

Display names, headlines and skill names are shown to other people in pages,
e-mails and CSV exports. ``clean_display_text`` NFKC-normalises them (a
fullwidth "Ａｎａ" is "Ana", a composed and a decomposed "é" are one name) and
refuses control characters (BEL, ESC, ...), bidi overrides and isolates
(U+202A–U+202E, U+2066–U+2069: "txt.exe" shown as "exe.txt"), zero-width and
other invisible format characters (U+200B, U+2060, U+FEFF), surrogates,
private-use and unassigned code points. ZWNJ and ZWJ (U+200C, U+200D) are
allowed between two visible characters, where Persian, Indic scripts and emoji
sequences need them.
"""

import unicodedata

_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_JOINERS = {"\u200c", "\u200d"}


def _joiner_in_word(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and not text[index - 1].isspace() and not text[index + 1].isspace()


def unsafe_character(text: str) -> str | None:
    """The first character of ``text`` that must not be in a display name, as
    ``U+XXXX NAME``; None when there is none."""
    for index, char in enumerate(text):
        if unicodedata.category(char) not in _REFUSED_CATEGORIES:
            continue
        if char in _JOINERS and _joiner_in_word(text, index):
            continue
        name = unicodedata.name(char, "a control or invisible character")
        return f"U+{ord(char):04X} {name}"
    return None


def clean_display_text(value) -> tuple[str, str | None]:
    """(the NFKC-normalised text with white space folded, or the fix to show
    when it holds a character that is refused)."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    text = " ".join(text.split())
    bad = unsafe_character(text)
    if bad:
        return text, f"Remove the invisible or control character {bad}; type the text plainly."
    return text, None
