"""The evidence source kind of routing, registered with the trust app
(``register()`` is called from ``MessagingConfig.ready()``).

A routed question answered (or passed / referred) within the window, or not, is an
observed fact about the candidate's responsiveness; the candidate and the asker
shared it. A missing attempt answers the empty set.
"""

from messaging.models import RoutingAttempt
from messaging.routing.params import SOURCE_KIND
from trust.sources import register_source


def attempt_participants(source_id) -> set[int]:
    """Trust source: the candidate and the asker shared the routed question."""
    try:
        pk = int(str(source_id))
    except (TypeError, ValueError):
        return set()
    row = RoutingAttempt.objects.filter(pk=pk).values_list("candidate_id", "question__author_id").first()
    return set(row) if row else set()


def register() -> None:
    register_source(SOURCE_KIND, participants=attempt_participants, is_rating=False)
