"""REST API for notifications: list, unread count, mark read, preferences.

Adapters only (parse, call one selector or service, serialize); errors go through
core.api_errors. The same notifications arrive live over /ws/ as
``notification`` frames (docs/messaging.md "Notifications").
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import RejectUnknownFieldsMixin, StrictBooleanField, StrictIntegerField
from core.api_input import parse_input
from core.pagination import PageNumberPagination
from messaging.notifications import preferences as prefs
from messaging.notifications import selectors, services

# --- serializers ------------------------------------------------------------------


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="e.g. invitation.received, mention, commitment.overdue")
    title = serializers.CharField()
    body = serializers.CharField(help_text="Plain text, at most 500 characters.")
    link = serializers.CharField(help_text="A path inside Tandem, or empty.")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class UnreadCountOut(serializers.Serializer):
    unread_count = serializers.IntegerField()


class MarkReadIn(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="Notification ids to mark read (yours only).",
    )
    all = serializers.BooleanField(required=False, default=False, help_text="Mark every unread one read.")

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError({"ids": ["Send at least one id, or all: true."]})
        return attrs


class GroupPreferenceField(RejectUnknownFieldsMixin, serializers.Serializer):
    email_when_unread = StrictBooleanField(required=False)
    daily_digest = StrictBooleanField(required=False)


class GroupsSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """One entry per kind group; in-app notifications are always on."""

    def get_fields(self):
        return {
            group: GroupPreferenceField(required=False, help_text=label)
            for group, label in prefs.GROUPS.items()
        }


class PreferencesIn(RejectUnknownFieldsMixin, serializers.Serializer):
    groups = GroupsSerializer(required=False)
    unread_email_delay_minutes = StrictIntegerField(
        min_value=0,
        max_value=prefs.MAX_DELAY_MINUTES,
        required=False,
        help_text="Minutes a notification stays unread before it is e-mailed; 0 = at once.",
    )


class PreferencesOut(serializers.Serializer):
    groups = GroupsSerializer()
    unread_email_delay_minutes = serializers.IntegerField()


def _preferences_data(preferences: prefs.Preferences) -> dict:
    return {
        "groups": preferences.groups,
        "unread_email_delay_minutes": preferences.unread_email_delay_minutes,
    }


NOT_FOUND = OpenApiResponse(description="No such notification (also when it is someone else's).")
INVALID = OpenApiResponse(description="Invalid input: error.fields names each field and the fix.")


# --- views ------------------------------------------------------------------------


class NotificationListView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(responses=NotificationOut(many=True), summary="My notifications, newest first")
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.notifications_for(request.user), request, view=self)
        data = [selectors.notification_data(n) for n in page]
        return paginator.get_paginated_response(NotificationOut(data, many=True).data)


class UnreadCountView(APIView):
    @extend_schema(responses=UnreadCountOut, summary="How many of my notifications are unread")
    def get(self, request):
        return Response({"unread_count": selectors.unread_count(request.user)})


class MarkReadView(APIView):
    @extend_schema(
        request=MarkReadIn,
        responses={200: UnreadCountOut, 400: INVALID, 404: NOT_FOUND},
        summary="Mark notifications read (the given ids, or all)",
    )
    def post(self, request):
        data = parse_input(MarkReadIn, request.data)
        count = services.notifications_mark_read(
            user=request.user, ids=data.get("ids"), all_unread=data["all"]
        )
        return Response({"unread_count": count})


class PreferencesView(APIView):
    @extend_schema(responses=PreferencesOut, summary="My notification preferences")
    def get(self, request):
        return Response(_preferences_data(prefs.preferences_of(request.user)))

    @extend_schema(
        request=PreferencesIn,
        responses={200: PreferencesOut, 400: INVALID},
        summary="Change my notification preferences (fields left out keep their value)",
    )
    def patch(self, request):
        data = parse_input(PreferencesIn, request.data)
        preferences = services.notification_preferences_update(
            user=request.user,
            groups=data.get("groups", {}),
            unread_email_delay_minutes=data.get("unread_email_delay_minutes"),
        )
        return Response(_preferences_data(preferences))
