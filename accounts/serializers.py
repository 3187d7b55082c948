"""REST representations for accounts. Input and output serializers are separate;
no logic lives in create()/update() — views call services."""

from django.urls import reverse
from rest_framework import serializers

from accounts.models import Expertise, LearningGoal, Profile, Skill
from accounts.services.profiles import BIO_MAX_CHARS, GOAL_NOTE_MAX_CHARS, HEADLINE_MAX_CHARS
from core.api_fields import NonBlankCharField

# --- output ---------------------------------------------------------------------


class SkillOut(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField()

    class Meta:
        model = Skill
        fields = ["id", "name", "slug", "description", "aliases"]

    def get_aliases(self, skill) -> list[str]:
        return [alias.name for alias in skill.aliases.all()]


class SkillRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ExpertiseOut(serializers.ModelSerializer):
    skill = SkillRefOut()

    class Meta:
        model = Expertise
        fields = ["skill", "level", "years"]


class LearningGoalOut(serializers.ModelSerializer):
    skill = SkillRefOut()

    class Meta:
        model = LearningGoal
        fields = ["skill", "note"]


class WorkingWindow(serializers.Serializer):
    day = serializers.IntegerField(help_text="0 = Monday … 6 = Sunday")
    start = serializers.CharField(help_text="HH:MM in the person's time zone")
    end = serializers.CharField(help_text="HH:MM (24:00 allowed)")


class ProfileSummaryOut(serializers.ModelSerializer):
    """A directory entry."""

    user_id = serializers.IntegerField()
    full_name = serializers.CharField(source="user.display_name")
    expertise = ExpertiseOut(source="user.expertise", many=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Profile
        fields = [
            "user_id",
            "full_name",
            "headline",
            "timezone",
            "open_to_mentor",
            "seeking",
            "is_away",
            "capacity",
            "work_mode",
            "expertise",
            "url",
        ]

    def get_url(self, profile) -> str:
        return reverse("api-profile-detail", args=[profile.user_id])


class ProfileDetailOut(ProfileSummaryOut):
    working_hours = WorkingWindow(many=True)
    learning_goals = LearningGoalOut(source="user.learning_goals", many=True)

    class Meta(ProfileSummaryOut.Meta):
        fields = [
            *ProfileSummaryOut.Meta.fields,
            "bio",
            "bio_html",
            "working_hours",
            "cadence",
            "feedback_style",
            "learning_goals",
            "onboarded_at",
        ]


class WorkspaceOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    workspace = WorkspaceOut()
    profile = ProfileDetailOut()


class TokenOut(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')
    created = serializers.DateTimeField()


# --- input ----------------------------------------------------------------------


class ProfileUpdateIn(serializers.Serializer):
    """Any subset of the fields; the service validates values and names the bad field."""

    full_name = NonBlankCharField(required=False, max_length=150)
    headline = serializers.CharField(required=False, allow_blank=True, max_length=HEADLINE_MAX_CHARS)
    bio = serializers.CharField(
        required=False, allow_blank=True, max_length=BIO_MAX_CHARS, trim_whitespace=False
    )
    timezone = serializers.CharField(required=False, max_length=64)
    working_hours = WorkingWindow(many=True, required=False)
    capacity = serializers.IntegerField(required=False)
    work_mode = serializers.ChoiceField(required=False, choices=Profile.WorkMode.choices)
    cadence = serializers.ChoiceField(required=False, choices=Profile.Cadence.choices)
    feedback_style = serializers.ChoiceField(required=False, choices=Profile.FeedbackStyle.choices)
    open_to_mentor = serializers.BooleanField(required=False)
    seeking = serializers.BooleanField(required=False)
    is_away = serializers.BooleanField(required=False)


class _SkillChoiceIn(serializers.Serializer):
    skill_id = serializers.IntegerField(required=False, allow_null=True)
    skill_name = serializers.CharField(required=False, allow_blank=True, max_length=80)

    def validate(self, attrs):
        if attrs.get("skill_id") is None and not (attrs.get("skill_name") or "").strip():
            raise serializers.ValidationError({"skill_id": ["Give skill_id, or skill_name to add a skill."]})
        return attrs


class ExpertiseIn(_SkillChoiceIn):
    level = serializers.IntegerField(help_text="1 (familiar) … 5 (expert)")
    years = serializers.IntegerField(required=False, default=0)


class LearningGoalIn(_SkillChoiceIn):
    note = serializers.CharField(required=False, allow_blank=True, max_length=GOAL_NOTE_MAX_CHARS)


class SkillIn(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    aliases = serializers.ListField(child=serializers.CharField(max_length=80), required=False, default=list)
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)


class DirectoryFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    skill = serializers.IntegerField(required=False, min_value=1)
    min_level = serializers.IntegerField(required=False, min_value=1, max_value=5)
    open_to_mentor = serializers.BooleanField(required=False, allow_null=True, default=None)
    overlap_min_hours = serializers.IntegerField(required=False, min_value=0, max_value=168)
