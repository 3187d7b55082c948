"""REST API for accounts: me, profiles (the directory), skills, expertise, goals, tokens.

Adapters only: parse with an input serializer, call one selector or service,
serialize with an output serializer. Errors go through core.api_errors.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import read_topics
from accounts import serializers as s
from accounts.selectors import profiles as profile_selectors
from accounts.services import profiles as profile_services
from accounts.services import skills as skill_services
from accounts.services import tokens as token_services
from core import read_cache
from core.api_input import parse_input
from core.pagination import PageNumberPagination


def _me_payload(request) -> dict:
    """The person and workspace as the request has them; the profile part from the
    read cache (topic ``people``: any change to it is a directory change too)."""
    membership = request.membership
    payload = s.MeOut(
        {
            "id": request.user.pk,
            "email": request.user.email,
            "full_name": request.user.full_name,
            "role": membership.role,
            "workspace": membership.organization,
            "profile": None,
        }
    ).data
    payload["profile"] = read_cache.cached(
        read_topics.PEOPLE,
        membership.organization_id,
        ("me", request.user.pk),
        lambda: s.ProfileDetailOut(profile_selectors.access_profile(request.user, request.user.pk)).data,
    )
    return payload


class MeView(APIView):
    @extend_schema(responses=s.MeOut, summary="The signed-in person, their workspace and profile")
    def get(self, request):
        return Response(_me_payload(request))

    @extend_schema(request=s.ProfileUpdateIn, responses=s.MeOut, summary="Update my profile")
    def patch(self, request):
        data = parse_input(s.ProfileUpdateIn, request.data)
        profile_services.profile_update(user=request.user, **data)
        return Response(_me_payload(request))


class MeTokenView(APIView):
    """Token authentication for scripts: create (or rotate) with a signed-in session."""

    @extend_schema(request=None, responses={201: s.TokenOut}, summary="Create or rotate my API token")
    def post(self, request):
        token = token_services.api_token_rotate(user=request.user)
        return Response({"token": token.key, "created": token.created}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, summary="Revoke my API token")
    def delete(self, request):
        token_services.api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExpertiseView(APIView):
    @extend_schema(request=s.ExpertiseIn, responses={201: s.ExpertiseOut}, summary="Add or update expertise")
    def post(self, request):
        data = parse_input(s.ExpertiseIn, request.data)
        expertise = profile_services.expertise_set(user=request.user, **data)
        return Response(s.ExpertiseOut(expertise).data, status=status.HTTP_201_CREATED)


class MeExpertiseDetailView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Remove expertise in a skill")
    def delete(self, request, skill_id: int):
        profile_services.expertise_remove(user=request.user, skill_id=skill_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeLearningGoalsView(APIView):
    @extend_schema(
        request=s.LearningGoalIn, responses={201: s.LearningGoalOut}, summary="Add a learning goal"
    )
    def post(self, request):
        data = parse_input(s.LearningGoalIn, request.data)
        goal = profile_services.learning_goal_add(user=request.user, **data)
        return Response(s.LearningGoalOut(goal).data, status=status.HTTP_201_CREATED)


class MeLearningGoalDetailView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Remove a learning goal")
    def delete(self, request, skill_id: int):
        profile_services.learning_goal_remove(user=request.user, skill_id=skill_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileListView(APIView):
    pagination_class = PageNumberPagination  # the schema shows the paginated shape

    @extend_schema(
        parameters=[s.DirectoryFilterIn],
        responses=s.ProfileSummaryOut(many=True),
        summary="The people directory of my workspace (search and filters, paginated)",
    )
    def get(self, request):
        """Kept in the read cache like the directory page (topic ``people``)."""
        f = parse_input(s.DirectoryFilterIn, request.query_params)
        filters = {
            "q": f.get("q"),
            "skill_id": f.get("skill"),
            "min_level": f.get("min_level"),
            "open_to_mentor": f.get("open_to_mentor"),
            "overlap_min_hours": f.get("overlap_min_hours"),
        }

        def page_data() -> dict:
            queryset = profile_selectors.directory_profiles(request.user, **filters)
            paginator = PageNumberPagination()
            page = paginator.paginate_queryset(queryset, request, view=self)
            return paginator.get_paginated_response(s.ProfileSummaryOut(page, many=True).data).data

        own_mask = request.user.profile.utc_week_mask if filters["overlap_min_hours"] else None
        parts = ("api-profiles", request.build_absolute_uri(), own_mask)
        organization_id = request.membership.organization_id if request.membership else None
        return Response(read_cache.cached(read_topics.PEOPLE, organization_id, parts, page_data))


class ProfileDetailView(APIView):
    @extend_schema(responses=s.ProfileDetailOut, summary="One person's profile (same workspace only)")
    def get(self, request, user_id: int):
        profile = profile_selectors.access_profile(request.user, user_id)
        return Response(s.ProfileDetailOut(profile).data)


class SkillListView(APIView):
    pagination_class = PageNumberPagination  # the schema shows the paginated shape

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Autocomplete: name or alias contains this")],
        responses=s.SkillOut(many=True),
        summary="Skills of my workspace (or autocomplete with ?q=)",
    )
    def get(self, request):
        q = (request.query_params.get("q") or "").strip()
        paginator = PageNumberPagination()
        if q:  # the same paginated shape as the whole list
            queryset = profile_selectors.skills_autocomplete(request.user, q)
        else:
            queryset = profile_selectors.workspace_skills(request.user).prefetch_related("aliases")
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(s.SkillOut(page, many=True).data)

    @extend_schema(request=s.SkillIn, responses={201: s.SkillOut}, summary="Add a skill to the taxonomy")
    def post(self, request):
        data = parse_input(s.SkillIn, request.data)
        skill = skill_services.skill_create(organization=request.membership.organization, **data)
        return Response(s.SkillOut(skill).data, status=status.HTTP_201_CREATED)
