"""REST adapter for the mentoring network: ``GET /api/manage/network``.

Talent managers only (``IsTalentManager``: a member gets 403); the graph is the
manager's workspace only, and each call writes an audit row. The browser draws it
(static/js/dashboard-network.js); the HTML page shows the same bridges, brokers and
isolated people as tables.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsTalentManager
from core.api_input import parse_input
from dashboard import network as dashboard_network
from dashboard.audit import audit_dashboard
from dashboard.period import PRESET_DAYS, resolve_period


class NetworkQueryIn(serializers.Serializer):
    period = serializers.ChoiceField(choices=[str(d) for d in PRESET_DAYS] + ["custom"], required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)


class NodeOut(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()
    url = serializers.CharField()
    degree = serializers.IntegerField(help_text="How many different people they are connected with.")
    group = serializers.IntegerField(allow_null=True, help_text="Connected group number; null when isolated.")
    broker = serializers.BooleanField(help_text="The network would split without them.")
    isolated = serializers.BooleanField()


class EdgeOut(serializers.Serializer):
    id = serializers.CharField()
    source = serializers.CharField(help_text="The person who helped.")
    target = serializers.CharField(help_text="The person who was helped.")
    engagements = serializers.IntegerField()
    answers = serializers.IntegerField(help_text="Accepted answers.")
    weight = serializers.IntegerField()
    bridge = serializers.BooleanField(help_text="The only link between two groups of people.")


class CountsOut(serializers.Serializer):
    people = serializers.IntegerField()
    connected = serializers.IntegerField()
    groups = serializers.IntegerField()
    bridges = serializers.IntegerField()
    brokers = serializers.IntegerField()
    isolated = serializers.IntegerField()


class NetworkOut(serializers.Serializer):
    nodes = NodeOut(many=True)
    edges = EdgeOut(many=True)
    bridges = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    brokers = serializers.ListField(child=serializers.CharField())
    isolated = serializers.ListField(child=serializers.CharField())
    truncated = serializers.BooleanField(help_text="True when the drawing leaves out people (see counts).")
    counts = CountsOut()


class NetworkView(APIView):
    permission_classes = [IsTalentManager]

    @extend_schema(
        parameters=[NetworkQueryIn],
        responses=NetworkOut,
        summary="Who helped whom, with bridges, brokers and isolated people (talent managers)",
        tags=["dashboard"],
    )
    def get(self, request):
        data = parse_input(NetworkQueryIn, request.query_params)
        preset = data.get("period")
        if preset == "custom" or "start" in data or "end" in data:
            period = resolve_period(
                days=None if preset in (None, "custom") else int(preset),
                start=data.get("start"),
                end=data.get("end"),
            )
        else:
            period = resolve_period(days=int(preset or 90))
        membership = request.membership
        graph = dashboard_network.network_graph(dashboard_network.network(membership, period))
        audit_dashboard(request.user, membership, action="dashboard.api_network", period=period)
        return Response(NetworkOut(graph).data)
