"""Test-only evidence sources: shared contexts without the engagement or messaging apps.

``shared_context(a, b, ...)`` returns a source id whose participants are exactly
those people, under a kind registered through the real ``trust.sources`` registry."""

import itertools

from trust import sources

TEST_KIND = "test.engagement"
TEST_FEEDBACK_KIND = "test.feedback"
TEST_OBSERVED_KIND = "test.commitment"

_members: dict[str, set[int]] = {}
_ids = itertools.count(1)


def _participants(source_id: str) -> set[int]:
    return set(_members.get(source_id, set()))


def register_test_sources() -> None:
    sources.register_source(
        TEST_KIND,
        participants=_participants,
        summary="good work in {good} of {total} test engagements{window}",
    )
    sources.register_source(
        TEST_FEEDBACK_KIND,
        participants=_participants,
        summary="positive feedback in {good} of {total} test engagements{window}",
    )
    sources.register_source(
        TEST_OBSERVED_KIND,
        participants=_participants,
        summary="kept {good} of {total} commitments{window}",
        label="A commitment",
        is_rating=False,
    )


def unregister_test_sources() -> None:
    for kind in (TEST_KIND, TEST_FEEDBACK_KIND, TEST_OBSERVED_KIND):
        sources.unregister_source(kind)
    _members.clear()


def shared_context(*users) -> str:
    source_id = f"ctx-{next(_ids)}"
    _members[source_id] = {user.pk for user in users}
    return source_id
