"""REST adapters for trust (mounted under /api/trust/). Parse, authorize (the DRF
permissions of ``accounts.permissions``, built on ``accounts.access``), call one
service or selector, serialize. Raters are never part of any representation."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsTalentManager, IsWorkspaceMember
from core.api_input import parse_input
from trust import selectors
from trust.services import disputes
from trust.services.vouching import vouch_for

# --- output ----------------------------------------------------------------------------


class TrendSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    delta_points = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()


class DimensionSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    title = serializers.CharField()
    question = serializers.CharField()
    skill_id = serializers.IntegerField(allow_null=True)
    skill_name = serializers.CharField(allow_null=True)
    is_new = serializers.BooleanField(help_text="Little evidence yet: show the headline, not a number.")
    headline = serializers.CharField()
    mean = serializers.SerializerMethodField(help_text="Percent; null for newcomers.")
    band = serializers.SerializerMethodField(
        help_text="[10th, 90th] percentile in percent; null for newcomers."
    )
    evidence_count = serializers.IntegerField()
    distinct_raters = serializers.IntegerField()
    contributions = serializers.ListField(child=serializers.CharField())
    trends = TrendSerializer(many=True)
    next_steps = serializers.ListField(child=serializers.CharField())

    def get_mean(self, obj) -> int | None:
        return None if obj.is_new else obj.mean

    def get_band(self, obj) -> list[int] | None:
        return None if obj.is_new else [obj.lower, obj.upper]


class TrustCardSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="user.pk")
    name = serializers.CharField(source="user.display_name")
    integrity = DimensionSerializer()
    responsiveness = DimensionSerializer()
    competence = DimensionSerializer(many=True)
    more_skills = serializers.IntegerField()


class EvidenceItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    dimension = serializers.CharField()
    skill_name = serializers.CharField(allow_null=True)
    occurred_at = serializers.DateTimeField()
    assessment = serializers.CharField()
    can_dispute = serializers.BooleanField()
    dispute_state = serializers.CharField(source="dispute.state", default=None)


class DisputeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField(source="event_id")
    reason = serializers.CharField()
    state = serializers.CharField()
    decision_note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class QueueDisputeSerializer(DisputeSerializer):
    raised_by = serializers.IntegerField(source="raised_by_id")
    raised_by_name = serializers.CharField(source="raised_by.display_name")
    evidence = serializers.SerializerMethodField()

    def get_evidence(self, obj) -> dict:
        return selectors.describe_event(obj.event)


# --- input -----------------------------------------------------------------------------


class DisputeInput(serializers.Serializer):
    event = serializers.IntegerField()
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["upheld", "rejected"])
    note = serializers.CharField(max_length=2000, allow_blank=True)


class VouchInput(serializers.Serializer):
    user = serializers.IntegerField()
    skill = serializers.IntegerField()


class MyTrustSerializer(serializers.Serializer):
    card = TrustCardSerializer()
    evidence = EvidenceItemSerializer(many=True)
    disputes = DisputeSerializer(many=True)


class DimensionDistributionSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    people = serializers.IntegerField(help_text="People with a score in this dimension")
    new = serializers.IntegerField(help_text="Of those, still building a track record")
    histogram = serializers.ListField(
        child=serializers.IntegerField(), help_text="Established people per tenth of the mean (0–10%, …)"
    )


class SkillDistributionSerializer(serializers.Serializer):
    skill_id = serializers.IntegerField()
    skill = serializers.CharField()
    people = serializers.IntegerField()
    new = serializers.IntegerField()
    strong = serializers.IntegerField(help_text="Established, with a lower bound of at least 70%")


class DistributionsSerializer(serializers.Serializer):
    members = serializers.IntegerField()
    dimensions = DimensionDistributionSerializer(many=True)
    skills = SkillDistributionSerializer(many=True)
    open_disputes = serializers.IntegerField()


# --- views -------------------------------------------------------------------------------


class UserTrustView(APIView):
    permission_classes = [IsWorkspaceMember]

    @extend_schema(responses=TrustCardSerializer, summary="A colleague's trust card (same workspace only)")
    def get(self, request, user_id: int):
        card = selectors.trust_card(request.user, user_id)
        return Response(TrustCardSerializer(card).data)


class MyTrustView(APIView):
    permission_classes = [IsWorkspaceMember]

    @extend_schema(
        responses=MyTrustSerializer,
        summary="My trust: explanations, the evidence about me (no raters), my disputes",
    )
    def get(self, request):
        card = selectors.trust_card_for(request.user)
        return Response(
            MyTrustSerializer(
                {
                    "card": card,
                    "evidence": selectors.my_evidence(request.user),
                    "disputes": selectors.my_disputes(request.user),
                }
            ).data
        )


class DisputeListView(APIView):
    permission_classes = [IsWorkspaceMember]

    @extend_schema(responses=DisputeSerializer(many=True), summary="The disputes I raised")
    def get(self, request):
        return Response(DisputeSerializer(selectors.my_disputes(request.user), many=True).data)

    @extend_schema(
        request=DisputeInput, responses={201: DisputeSerializer}, summary="Dispute an item about me"
    )
    def post(self, request):
        data = parse_input(DisputeInput, request.data)
        dispute = disputes.dispute_raise(user=request.user, event_id=data["event"], reason=data["reason"])
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


class DisputeQueueView(APIView):
    permission_classes = [IsTalentManager]

    @extend_schema(responses=QueueDisputeSerializer(many=True), summary="Open disputes of my workspace")
    def get(self, request):
        include_decided = request.query_params.get("all") in ("1", "true")
        disputes = selectors.dispute_queue(request.user, include_decided=include_decided)
        return Response(QueueDisputeSerializer(disputes[:200], many=True).data)


class DisputeDecideView(APIView):
    permission_classes = [IsTalentManager]

    @extend_schema(request=DecisionInput, responses=DisputeSerializer, summary="Uphold or reject a dispute")
    def post(self, request, dispute_id: int):
        data = parse_input(DecisionInput, request.data)
        dispute = disputes.dispute_decide(
            manager=request.user,
            dispute_id=dispute_id,
            decision=data["decision"],
            note=data["note"],
        )
        return Response(DisputeSerializer(dispute).data)


class DistributionsView(APIView):
    permission_classes = [IsTalentManager]

    @extend_schema(
        responses=DistributionsSerializer,
        summary="Trust distributions of my workspace (no individual scores)",
    )
    def get(self, request):
        return Response(DistributionsSerializer(selectors.distributions(request.user)).data)


class VouchView(APIView):
    permission_classes = [IsTalentManager]

    @extend_schema(request=VouchInput, responses={201: None}, summary="Vouch for a newcomer in one skill")
    def post(self, request):
        data = parse_input(VouchInput, request.data)
        subject, skill = selectors.vouch_target(request.user, user_id=data["user"], skill_id=data["skill"])
        event = vouch_for(manager=request.user, subject=subject, skill=skill)
        return Response(
            {"event": event.pk, "user": subject.pk, "skill": skill.pk}, status=status.HTTP_201_CREATED
        )
