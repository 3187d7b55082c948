"""REST representations for the engagement domain. Input and output serializers
are separate; inputs only check shapes (the services validate the meaning and
name the field to fix); outputs read what selectors already loaded."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import SkillRefOut
from core.markdown import render_markdown
from mentoring.engagements.services.requests import MAX_SKILLS
from mentoring.models import (
    MAX_INVITATIONS_PER_REQUEST,
    Commitment,
    Engagement,
    EngagementKind,
    EngagementTransition,
    MentoringRequest,
    Milestone,
    Participant,
)

# --- shared output pieces ---------------------------------------------------------


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="display_name")


# --- requests and suggestions -------------------------------------------------------


class RequestIn(serializers.Serializer):
    title = serializers.CharField(max_length=160, help_text="What you need, in a few words.")
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    skills = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=MAX_SKILLS
    )
    kind = serializers.ChoiceField(
        choices=[EngagementKind.SITUATIONAL, EngagementKind.ONGOING], default=EngagementKind.SITUATIONAL
    )
    urgency = serializers.ChoiceField(
        choices=MentoringRequest.Urgency.choices, default=MentoringRequest.Urgency.NORMAL
    )
    desired_duration_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Defaults to the kind's default duration."
    )


class InvitationBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    # the request it belongs to: a new one when an exhausted request was asked again
    request_id = serializers.IntegerField()
    rank = serializers.IntegerField()
    state = serializers.CharField()
    mentor = PersonOut()
    sent_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.CharField()
    clarification_question = serializers.CharField()
    clarification_answer = serializers.CharField()


class RequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    skills = SkillRefOut(many=True, source="skills.all")
    kind = serializers.CharField()
    urgency = serializers.CharField()
    desired_duration_days = serializers.IntegerField()
    state = serializers.CharField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    invitations = InvitationBriefOut(many=True, source="invitations.all")


class SuggestionFilterIn(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class FactorOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(help_text="In [0, 1].")
    weight = serializers.FloatField(help_text="Relative weight of this factor in the score.")
    detail = serializers.CharField()


class SkillLevelOut(serializers.Serializer):
    skill = serializers.CharField()
    level = serializers.IntegerField(help_text="0 when the mentor has no expertise in it.")


class SuggestionOut(serializers.Serializer):
    mentor = PersonOut(source="user")
    headline = serializers.CharField(source="user.profile.headline")
    score = serializers.FloatField(help_text="Weighted mean of the factors, in [0, 1].")
    factors = FactorOut(many=True)
    skill_levels = serializers.SerializerMethodField(help_text="Level per requested skill.")
    load = serializers.IntegerField()
    capacity = serializers.IntegerField()
    overlap_hours = serializers.IntegerField(allow_null=True)

    @extend_schema_field(SkillLevelOut(many=True))
    def get_skill_levels(self, suggestion) -> list[dict]:
        return [{"skill": name, "level": level} for name, level in suggestion.skill_levels]


# --- invitations ---------------------------------------------------------------------


class InvitationsSendIn(serializers.Serializer):
    mentors = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=MAX_INVITATIONS_PER_REQUEST,
        help_text="Mentor user ids, best first.",
    )


class InboxFilterIn(serializers.Serializer):
    include_answered = serializers.BooleanField(default=False)


class InvitationOut(InvitationBriefOut):
    request = serializers.SerializerMethodField()

    def get_request(self, invitation) -> dict:
        request = invitation.request
        return {
            "id": request.pk,
            "title": request.title,
            "description": request.description,
            "kind": request.kind,
            "urgency": request.urgency,
            "desired_duration_days": request.desired_duration_days,
            "seeker": {"id": request.seeker_id, "name": request.seeker.display_name},
            "skills": [{"id": s.pk, "name": s.name} for s in request.skills.all()],
        }


class DeclineIn(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Required: tell the seeker why.")


class ClarifyIn(serializers.Serializer):
    question = serializers.CharField(max_length=2000)


class AnswerIn(serializers.Serializer):
    answer = serializers.CharField(max_length=2000)


# --- engagements ---------------------------------------------------------------------


class EngagementFilterIn(serializers.Serializer):
    state = serializers.ChoiceField(choices=Engagement.State.choices, required=False)


class ParticipantOut(serializers.ModelSerializer):
    user = PersonOut()
    role = serializers.CharField(help_text="mentor | seeker")

    class Meta:
        model = Participant
        fields = ["user", "role", "joined_at", "left_at"]


class EngagementOut(serializers.ModelSerializer):
    # plain strings: the values are documented on the filters and inputs
    kind = serializers.CharField(help_text="situational | group | ongoing")
    state = serializers.CharField(help_text="active | wrapping_up | completed | cancelled | expired")
    participants = ParticipantOut(many=True, source="participants.all")
    skills = SkillRefOut(many=True, source="skills.all")
    program = serializers.SerializerMethodField()

    class Meta:
        model = Engagement
        fields = [
            "id",
            "kind",
            "title",
            "goal",
            "state",
            "starts_at",
            "ends_at",
            "ended_at",
            "extended_once",
            "extension_reason",
            "program",
            "skills",
            "participants",
        ]

    def get_program(self, engagement) -> dict | None:
        program = engagement.program
        return {"id": program.pk, "name": program.name} if program else None


class TransitionOut(serializers.ModelSerializer):
    actor = PersonOut(allow_null=True)
    from_state = serializers.CharField(help_text="Empty for the creation.")
    to_state = serializers.CharField()

    class Meta:
        model = EngagementTransition
        fields = ["from_state", "to_state", "actor", "reason", "at"]


class CommitmentOut(serializers.ModelSerializer):
    owner = PersonOut()
    state = serializers.CharField(help_text="open | kept | missed | released")
    confirmed_by = PersonOut(allow_null=True)

    class Meta:
        model = Commitment
        fields = ["id", "owner", "text", "due_at", "state", "confirmed_by", "decided_at", "created_at"]


class MilestoneOut(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "due_at", "done_at", "created_at"]


class EngagementDetailOut(EngagementOut):
    goal_html = serializers.SerializerMethodField()
    viewer_is_participant = serializers.BooleanField()
    timeline = TransitionOut(many=True)
    commitments = CommitmentOut(
        many=True, allow_null=True, source="commitments_list", help_text="Participants only (else null)."
    )
    milestones = MilestoneOut(
        many=True, allow_null=True, source="milestones_list", help_text="Participants only (else null)."
    )

    class Meta(EngagementOut.Meta):
        fields = [
            *EngagementOut.Meta.fields,
            "goal_html",
            "viewer_is_participant",
            "timeline",
            "commitments",
            "milestones",
        ]

    def get_goal_html(self, engagement) -> str:
        return render_markdown(engagement.goal)


class GroupEngagementIn(serializers.Serializer):
    title = serializers.CharField(max_length=160)
    goal = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    mentors = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=50)
    seekers = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=50
    )
    skills = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=10
    )
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ExtendIn(serializers.Serializer):
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=1000)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RequiredReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class TransitionIn(serializers.Serializer):
    to_state = serializers.ChoiceField(
        choices=[("wrapping_up", "Finish early (wrap up)"), ("cancelled", "Cancel")]
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --- commitments, milestones, feedback -------------------------------------------------


class CommitmentIn(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    due_at = serializers.DateTimeField()


class ConfirmIn(serializers.Serializer):
    kept = serializers.BooleanField(help_text="true: kept; false: missed (only once due).")


class MilestoneIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class FeedbackIn(serializers.Serializer):
    ratee = serializers.IntegerField(help_text="User id of the participant you rate.")
    competence = serializers.IntegerField(min_value=1, max_value=5)
    respectful = serializers.BooleanField()
    honest = serializers.BooleanField()
    responsiveness = serializers.IntegerField(min_value=1, max_value=5)
    would_work_again = serializers.BooleanField()
    private_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FeedbackOut(serializers.Serializer):
    id = serializers.IntegerField()
    ratee = PersonOut()
    submitted_at = serializers.DateTimeField()
