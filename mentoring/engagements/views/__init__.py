"""HTML pages of the engagement domain, one module per page group:

- ``home``: the landing page and a member's home;
- ``requests``: find a mentor, a request's page (suggestions, invitations), inviting,
  cancelling and answering a mentor's question;
- ``invitations``: the mentor's inbox (accept, decline, ask a question);
- ``engagements``: my engagements, one engagement, its moves, group engagements;
- ``commitments``: commitments, milestones and wrap-up feedback on the engagement page.

Adapters only: parse a form, call one selector or service, render or redirect
(POST → redirect → GET). Access is ``accounts.access.member_required``; a domain error
a view lets through is mapped by ``core.html_errors.DomainErrorMiddleware`` (missing
or not yours: the 404 page), and service errors land on the form field they name
(``core.html_errors.run_form``).
"""

from mentoring.engagements.views.commitments import (
    commitment_add,
    commitment_confirm,
    commitment_release,
    feedback_submit,
    milestone_add,
    milestone_complete,
)
from mentoring.engagements.views.engagements import (
    engagement_cancel,
    engagement_detail,
    engagement_extend,
    engagement_finish,
    engagement_leave,
    engagement_list,
    group_create,
)
from mentoring.engagements.views.home import home, needs_me_panel
from mentoring.engagements.views.invitations import (
    invitation_accept,
    invitation_clarify,
    invitation_decline,
    invitations,
)
from mentoring.engagements.views.requests import (
    find_mentor,
    invitation_answer,
    my_requests,
    request_cancel,
    request_detail,
    request_invite,
    request_suggestions,
    trust_card,
)

__all__ = [
    "commitment_add",
    "commitment_confirm",
    "commitment_release",
    "engagement_cancel",
    "engagement_detail",
    "engagement_extend",
    "engagement_finish",
    "engagement_leave",
    "engagement_list",
    "feedback_submit",
    "find_mentor",
    "group_create",
    "home",
    "invitation_accept",
    "invitation_answer",
    "invitation_clarify",
    "invitation_decline",
    "invitations",
    "milestone_add",
    "milestone_complete",
    "my_requests",
    "needs_me_panel",
    "request_cancel",
    "request_detail",
    "request_invite",
    "request_suggestions",
    "trust_card",
]
