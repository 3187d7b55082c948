"""REST API of "ask the network" routing (mounted under /api/; docs/messaging.md "Routing").

Adapters only: parse, call one selector (``messaging.routing.selectors``) or service
(``messaging.routing.replies``), serialize. Scores and breakdowns are shown to the
person they are about and to talent managers of the workspace, never to the asker or
other members.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_input import parse_input
from core.pagination import PageNumberPagination
from messaging.models import Question, RoutingAttempt
from messaging.routing import replies, selectors

NOT_FOUND = OpenApiResponse(
    description="No such question, or it was not routed to you / is not yours (one answer for all)."
)


class RoutingPersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class RoutingProgressOut(serializers.Serializer):
    question = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Question.RoutingState.choices)
    sent = serializers.IntegerField(help_text="People asked so far (waves and referrals).")
    waves = serializers.IntegerField()
    pending = serializers.IntegerField()
    answered = serializers.IntegerField(help_text="Asked people who answered (in time or late).")
    passed = serializers.IntegerField()
    referred = serializers.IntegerField()
    missed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    typing = serializers.IntegerField(help_text="Asked people typing an answer right now.")
    next_wave_at = serializers.DateTimeField(allow_null=True)


class RoutingAttemptOut(serializers.Serializer):
    """One person asked. ``score``, ``rank``, ``exploration`` and ``breakdown`` are null
    unless the viewer is that person or a talent manager."""

    id = serializers.IntegerField()
    question = serializers.IntegerField(source="question_id")
    candidate = RoutingPersonOut()
    wave = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=RoutingAttempt.Outcome.choices)
    referred_by = RoutingPersonOut(allow_null=True)
    notified_at = serializers.DateTimeField()
    window_ends_at = serializers.DateTimeField(
        help_text="End of the answer window, counted in the candidate's working hours."
    )
    responded_at = serializers.DateTimeField(allow_null=True)
    answer = serializers.IntegerField(source="answer_id", allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    exploration = serializers.BooleanField(allow_null=True)
    breakdown = serializers.DictField(
        allow_null=True,
        help_text="match, competence, p_answer, availability (each 0–1) and what went into them.",
    )


def _attempt(attempt: RoutingAttempt, *, with_score: bool) -> dict:
    data = RoutingAttemptOut(attempt).data
    if not with_score:
        for key in ("rank", "score", "exploration", "breakdown"):
            data[key] = None
    return data


class RoutingOut(serializers.Serializer):
    role = serializers.ChoiceField(choices=["asker", "manager", "candidate"], help_text="How you see it.")
    progress = RoutingProgressOut()
    attempts = RoutingAttemptOut(many=True, help_text="Everyone asked (empty for a candidate).")
    mine = RoutingAttemptOut(allow_null=True, help_text="Your own request, when it was routed to you.")


class ReferIn(serializers.Serializer):
    refer_to = serializers.IntegerField(min_value=1, help_text="The id of a colleague in your workspace.")


class RoutingResponseOut(serializers.Serializer):
    attempt = RoutingAttemptOut()
    referral_status = serializers.ChoiceField(
        choices=["asked", "already_asked", "away", "capped"],
        allow_null=True,
        help_text="refer only: whether the colleague was asked (not when already asked, away or "
        "at today's limit).",
    )


class InboxQuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=Question.State.choices)
    author = RoutingPersonOut()
    link = serializers.CharField(source="get_absolute_url")


class InboxItemOut(RoutingAttemptOut):
    question = InboxQuestionOut()


class InboxPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = InboxItemOut(many=True)


class RoutingDetailView(APIView):
    @extend_schema(
        responses={200: RoutingOut, 404: NOT_FOUND},
        operation_id="question_routing",
        summary="Routing progress of a question (asker, talent manager, or a person it was routed to)",
    )
    def get(self, request, question_id: int):
        view = selectors.routing_detail(request.user, question_id)
        manager = view.role == "manager"
        return Response(
            {
                "role": view.role,
                "progress": view.progress,
                "attempts": [_attempt(a, with_score=manager) for a in view.attempts],
                "mine": _attempt(view.mine, with_score=True) if view.mine else None,
            }
        )


def _response(result: replies.RoutingResponse) -> dict:
    return {
        "attempt": _attempt(result.attempt, with_score=True),
        "referral_status": result.referral_status,
    }


class RoutingPassView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: RoutingResponseOut,
            404: NOT_FOUND,
            409: OpenApiResponse(description="Already responded, window closed, or question resolved."),
        },
        operation_id="question_routing_pass",
        summary="Pass on a question routed to me (counts as a timely response)",
    )
    def post(self, request, question_id: int):
        result = replies.routing_respond(user=request.user, question_id=question_id, action="pass")
        return Response(_response(result))


class RoutingReferView(APIView):
    @extend_schema(
        request=ReferIn,
        responses={
            200: RoutingResponseOut,
            400: OpenApiResponse(description="refer_to is missing, yourself or the asker."),
            404: OpenApiResponse(description="No such question routed to you, or no such colleague."),
            409: OpenApiResponse(description="Already responded, window closed, or question resolved."),
        },
        operation_id="question_routing_refer",
        summary="Refer a colleague for a question routed to me",
    )
    def post(self, request, question_id: int):
        data = parse_input(ReferIn, request.data)
        result = replies.routing_respond(
            user=request.user,
            question_id=question_id,
            action="refer",
            refer_to_id=data["refer_to"],
        )
        return Response(_response(result))


class RoutingInboxView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="1–100, default 20."),
        ],
        responses={200: InboxPageOut},
        operation_id="routing_inbox",
        summary="Questions routed to me: pending first (window ending soonest), then the rest",
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.routed_to(request.user), request, view=self)
        return paginator.get_paginated_response(InboxItemOut(page, many=True).data)
