"""The words of a candidate's headline and bio, as routing's scores read them: computed
once per pool row (cached on the row) and shared by the mention and text-match rules."""

from functools import lru_cache

from accounts import skill_inference


def profile_words(row: dict) -> list[str]:
    """The words of headline and bio, computed once per row."""
    if "_words" not in row:
        row["_words"] = skill_inference.words(f"{row['headline']} {row['bio']}")
    return row["_words"]


@lru_cache(maxsize=1024)
def _phrase(name: str) -> str:
    return f" {' '.join(skill_inference.words(name))} "


def mentions(row: dict, name: str) -> bool:
    """The profile names the skill ``name`` as a phrase (word for word)."""
    if not (row["headline"] or row["bio"]):
        return False
    if "_phrase" not in row:
        row["_phrase"] = f" {' '.join(profile_words(row))} "
    return _phrase(name) in row["_phrase"]


def text_match(row: dict, tokens: list[str]) -> float:
    """The share of the question's words found in the headline and bio."""
    if not tokens or not (row["headline"] or row["bio"]):
        return 0.0
    words = set(profile_words(row))
    return sum(1 for token in tokens if token in words) / len(tokens)
