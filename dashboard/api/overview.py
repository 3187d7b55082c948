"""REST adapter for the talent-manager dashboard: ``GET /api/manage/overview``.

Talent managers only (``IsTalentManager``: a member gets 403); every figure is
scoped to the manager's workspace and each call writes an audit row.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsTalentManager
from core import clock
from core.api_input import parse_input
from dashboard.audit import audit_dashboard
from dashboard.overview import kept, overview
from dashboard.period import PRESET_DAYS, resolve_period


class OverviewQueryIn(serializers.Serializer):
    period = serializers.ChoiceField(choices=[str(d) for d in PRESET_DAYS], required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)


class FigureOut(serializers.Serializer):
    current = serializers.FloatField(allow_null=True, help_text="Value for the period; null = no data.")
    previous = serializers.FloatField(
        allow_null=True, help_text="Value for the previous period of equal length."
    )
    direction = serializers.ChoiceField(choices=["up", "down", "flat"])
    change_percent = serializers.FloatField(
        allow_null=True, help_text="Relative change against the previous period (null from zero)."
    )


class PeriodOut(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Exclusive.")
    previous_start = serializers.DateTimeField()
    days = serializers.IntegerField()
    label = serializers.CharField()


class FiguresOut(serializers.Serializer):
    active_engagements = FigureOut()
    new_requests = FigureOut()
    match_rate = FigureOut(help_text="Requests that reached an accepted invitation / requests created (0–1).")
    median_hours_to_match = FigureOut()
    median_hours_to_first_answer = FigureOut(
        help_text="Engagements started in the period: start to a mentor's first chat message."
    )
    median_hours_to_network_answer = FigureOut(
        help_text="Network questions asked in the period: question to its first answer (answered ones)."
    )
    routed_answered_in_window_rate = FigureOut(
        help_text="Routed questions with an outcome: answered by a routed person in the window (0–1)."
    )
    completion_rate = FigureOut(help_text="Completed / settled engagements that ended in the period (0–1).")
    feedback_competence = FigureOut(help_text="Mean 1–5.")
    feedback_responsiveness = FigureOut(help_text="Mean 1–5.")
    feedback_would_work_again = FigureOut(help_text="Share 0–1.")
    commitments_kept_rate = FigureOut(help_text="Kept / (kept + missed), decided in the period (0–1).")
    active_members = FigureOut()


class OverviewOut(serializers.Serializer):
    period = PeriodOut()
    as_of = serializers.DateTimeField(
        help_text="When these figures were computed: at most DASHBOARD_FIGURES_SECONDS (60) ago."
    )
    figures = FiguresOut()


class OverviewView(APIView):
    permission_classes = [IsTalentManager]

    @extend_schema(
        parameters=[OverviewQueryIn],
        responses=OverviewOut,
        summary="Workspace overview figures with the previous period's values (talent managers)",
        tags=["dashboard"],
    )
    def get(self, request):
        data = parse_input(OverviewQueryIn, request.query_params)
        days = int(data["period"]) if "period" in data else None
        period = resolve_period(days=days, start=data.get("start"), end=data.get("end"))
        membership = request.membership

        def payload() -> dict:
            figures = overview(membership, period)
            return OverviewOut(
                {
                    "period": period.as_dict(),
                    "as_of": clock.now(),
                    "figures": {name: figure.as_dict() for name, figure in figures.items()},
                }
            ).data

        data, _as_of = kept(membership, period, "api", payload)  # a minute at most (``kept``)
        audit_dashboard(request.user, membership, action="dashboard.api_overview", period=period)
        return Response(data)
