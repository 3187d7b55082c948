"""Work inside an engagement, posted from its page: commitments (record, confirm,
release), milestones (add, complete) and wrap-up feedback. Each reads the
engagement through an access check and posts through ``engagement_action`` (the
page's forms: ``engagement_form_post``)."""

from django.views.decorators.http import require_POST

from accounts.access import member_required
from core.errors import NotFound
from mentoring.engagements import selectors
from mentoring.engagements.forms import CommitmentForm, ConfirmForm, FeedbackForm, MilestoneForm
from mentoring.engagements.services import commitments as commitment_services
from mentoring.engagements.services import feedback as feedback_services
from mentoring.engagements.services import milestones as milestone_services
from mentoring.engagements.views.engagements import engagement_action, engagement_form_post

commitment_add = engagement_form_post(
    commitment_services.commitment_record,
    CommitmentForm,
    prefix="commitment",
    fields={"text": "text", "due_at": "due_at"},
    timed=True,
    success="Commitment recorded. Your counterpart confirms it when it is done.",
)
milestone_add = engagement_form_post(
    milestone_services.milestone_add,
    MilestoneForm,
    prefix="milestone",
    fields={"title": "title", "due_at": "due_on"},
    timed=True,
    success="Milestone added.",
)


@member_required
@require_POST
def commitment_confirm(request, commitment_id):
    return engagement_action(
        request,
        selectors.access_engagement_of(request.user, commitment_id=commitment_id),
        form=ConfirmForm(request.POST),
        invalid_message="Choose kept or missed.",
        call=lambda d: commitment_services.commitment_confirm(
            actor=request.user, commitment_id=commitment_id, kept=d["kept"]
        ),
        success=lambda commitment: f"Marked {commitment.state}. Thank you — it counts toward trust.",
    )


@member_required
@require_POST
def commitment_release(request, commitment_id):
    return engagement_action(
        request,
        selectors.access_engagement_of(request.user, commitment_id=commitment_id),
        call=lambda d: commitment_services.commitment_release(
            actor=request.user, commitment_id=commitment_id
        ),
        success="Commitment released.",
    )


@member_required
@require_POST
def milestone_complete(request, milestone_id):
    return engagement_action(
        request,
        selectors.access_engagement_of(request.user, milestone_id=milestone_id),
        call=lambda d: milestone_services.milestone_complete(actor=request.user, milestone_id=milestone_id),
        success="Milestone done.",
    )


@member_required
@require_POST
def feedback_submit(request, engagement_id, ratee_id):
    engagement = selectors.access_engagement(request.user, engagement_id)
    ratee = next((p.user for p in engagement.participants.all() if p.user_id == int(ratee_id)), None)
    if ratee is None:
        raise NotFound("No such participant.")
    return engagement_action(
        request,
        engagement,
        form=FeedbackForm(request.POST, ratee=ratee),
        form_key=f"feedback:{ratee.pk}",
        call=lambda d: feedback_services.feedback_submit(
            rater=request.user,
            engagement_id=engagement.pk,
            ratee=ratee,
            competence=d["competence"],
            respectful=d["respectful"],
            honest=d["honest"],
            responsiveness=d["responsiveness"],
            would_work_again=d["would_work_again"],
            private_note=d["private_note"],
        ),
        success=f"Feedback about {ratee.display_name} saved. It stays hidden until they rated you too, "
        "or a week after the end.",
    )
