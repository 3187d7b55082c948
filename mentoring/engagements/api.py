"""REST API for the engagement domain: requests, suggestions, invitations,
engagements, commitments, milestones and feedback.

Adapters only: parse with an input serializer, call one selector or service
(ids of people and skills are resolved inside the viewer's workspace by
``mentoring.engagements.lookups``), serialize with an output serializer. Domain errors
become ``{"error": {...}}`` in ``core.api_errors``; "not found" is the
same for missing and not-yours.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api_input import parse_input
from core.errors import NotFound
from core.pagination import PageNumberPagination
from mentoring.engagements import selectors
from mentoring.engagements import serializers as s
from mentoring.engagements.lookups import workspace_people, workspace_skills
from mentoring.engagements.matching import suggestions_for_request
from mentoring.engagements.services import commitments as commitment_services
from mentoring.engagements.services import engagements as engagement_services
from mentoring.engagements.services import feedback as feedback_services
from mentoring.engagements.services import invitations as invitation_services
from mentoring.engagements.services import milestones as milestone_services
from mentoring.engagements.services import requests as request_services


def _request_payload(user, request_id) -> dict:
    request = selectors.requests_for(user).filter(pk=request_id).first()
    if request is None:
        raise NotFound("No such request.")
    return s.RequestOut(request).data


def _engagement_detail(user, engagement_id) -> dict:
    engagement = selectors.access_engagement(user, engagement_id)
    engagement.timeline = list(selectors.engagement_timeline(engagement))
    if engagement.viewer_is_participant:
        engagement.commitments_list = list(selectors.commitments_for(engagement))
        engagement.milestones_list = list(selectors.milestones_for(engagement))
    else:  # talent managers see metadata only
        engagement.commitments_list = engagement.milestones_list = None
    return s.EngagementDetailOut(engagement).data


# --- requests ----------------------------------------------------------------------------


class RequestListView(APIView):
    pagination_class = PageNumberPagination  # the schema shows the paginated shape

    @extend_schema(
        responses=s.RequestOut(many=True), summary="My mentoring requests, newest first (paginated)"
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(selectors.requests_for(request.user), request, view=self)
        return paginator.get_paginated_response(s.RequestOut(page, many=True).data)

    @extend_schema(request=s.RequestIn, responses={201: s.RequestOut}, summary="Describe a need")
    def post(self, request):
        data = parse_input(s.RequestIn, request.data)
        created = request_services.request_create(
            seeker=request.user,
            title=data["title"],
            description=data["description"],
            skill_ids=data["skills"],
            kind=data["kind"],
            urgency=data["urgency"],
            desired_duration_days=data["desired_duration_days"],
        )
        return Response(_request_payload(request.user, created.pk), status=status.HTTP_201_CREATED)


class RequestDetailView(APIView):
    @extend_schema(responses=s.RequestOut, summary="One of my requests, with its invitations")
    def get(self, request, request_id: int):
        return Response(_request_payload(request.user, request_id))


class RequestCancelView(APIView):
    @extend_schema(request=None, responses=s.RequestOut, summary="Cancel my request (withdraws invitations)")
    def post(self, request, request_id: int):
        request_services.request_cancel(seeker=request.user, request_id=request_id)
        return Response(_request_payload(request.user, request_id))


class RequestSuggestionsView(APIView):
    @extend_schema(
        parameters=[s.SuggestionFilterIn],
        responses=s.SuggestionOut(many=True),
        summary="Ranked mentor suggestions for my request, each with its factor breakdown",
    )
    def get(self, request, request_id: int):
        filters = parse_input(s.SuggestionFilterIn, request.query_params)
        need = selectors.access_request(request.user, request_id)
        suggestions = suggestions_for_request(seeker=request.user, request=need, limit=filters["limit"])
        return Response(s.SuggestionOut(suggestions, many=True).data)


class RequestInvitationsView(APIView):
    @extend_schema(
        request=s.InvitationsSendIn,
        responses={201: s.InvitationBriefOut(many=True)},
        summary="Invite up to three mentors, best first (the first is asked at once); "
        "on an exhausted request the same need is asked again as a new request (see request_id)",
    )
    def post(self, request, request_id: int):
        data = parse_input(s.InvitationsSendIn, request.data)
        selectors.access_request(request.user, request_id)
        mentors = workspace_people(request.user, data["mentors"], field="mentors")
        invitations = invitation_services.invitations_send(
            seeker=request.user, request_id=request_id, mentors=mentors
        )
        return Response(s.InvitationBriefOut(invitations, many=True).data, status=status.HTTP_201_CREATED)


# --- invitations -------------------------------------------------------------------------


class InvitationInboxView(APIView):
    pagination_class = PageNumberPagination  # the schema shows the paginated shape

    @extend_schema(
        parameters=[s.InboxFilterIn],
        responses=s.InvitationOut(many=True),
        summary="Invitations sent to me (live ones first; paginated)",
    )
    def get(self, request):
        filters = parse_input(s.InboxFilterIn, request.query_params)
        queryset = selectors.invitations_inbox(request.user, include_answered=filters["include_answered"])
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(s.InvitationOut(page, many=True).data)


class InvitationAcceptView(APIView):
    @extend_schema(
        request=None,
        responses={201: s.EngagementOut},
        summary="Accept an invitation: the engagement starts (409 when expired or taken)",
    )
    def post(self, request, invitation_id: int):
        engagement = invitation_services.invitation_accept(mentor=request.user, invitation_id=invitation_id)
        return Response(_engagement_detail(request.user, engagement.pk), status=status.HTTP_201_CREATED)


def _invitation_payload(user, invitation_id) -> dict:
    invitation = selectors.access_invitation(user, invitation_id)
    return s.InvitationOut(invitation).data


class InvitationDeclineView(APIView):
    @extend_schema(request=s.DeclineIn, responses=s.InvitationOut, summary="Decline with a reason")
    def post(self, request, invitation_id: int):
        data = parse_input(s.DeclineIn, request.data)
        invitation_services.invitation_decline(
            mentor=request.user, invitation_id=invitation_id, reason=data["reason"]
        )
        return Response(_invitation_payload(request.user, invitation_id))


class InvitationClarifyView(APIView):
    @extend_schema(request=s.ClarifyIn, responses=s.InvitationOut, summary="Ask the seeker a question first")
    def post(self, request, invitation_id: int):
        data = parse_input(s.ClarifyIn, request.data)
        invitation_services.invitation_clarify(
            mentor=request.user, invitation_id=invitation_id, question=data["question"]
        )
        return Response(_invitation_payload(request.user, invitation_id))


class InvitationAnswerView(APIView):
    @extend_schema(
        request=s.AnswerIn, responses=s.InvitationOut, summary="Seeker: answer the mentor's question"
    )
    def post(self, request, invitation_id: int):
        data = parse_input(s.AnswerIn, request.data)
        invitation_services.invitation_answer_clarification(
            seeker=request.user, invitation_id=invitation_id, answer=data["answer"]
        )
        return Response(_invitation_payload(request.user, invitation_id))


# --- engagements -------------------------------------------------------------------------


class EngagementListView(APIView):
    pagination_class = PageNumberPagination  # the schema shows the paginated shape

    @extend_schema(
        parameters=[s.EngagementFilterIn],
        responses=s.EngagementOut(many=True),
        summary="Engagements I take or took part in, newest first (paginated)",
    )
    def get(self, request):
        filters = parse_input(s.EngagementFilterIn, request.query_params)
        queryset = selectors.engagements_for(request.user, filters.get("state"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(s.EngagementOut(page, many=True).data)

    @extend_schema(
        request=s.GroupEngagementIn,
        responses={201: s.EngagementDetailOut},
        summary="Start a group engagement (talent manager, or a mentor taking part; at least 3 people)",
    )
    def post(self, request):
        data = parse_input(s.GroupEngagementIn, request.data)
        engagement = engagement_services.group_engagement_create(
            actor=request.user,
            title=data["title"],
            goal=data["goal"],
            mentors=workspace_people(request.user, data["mentors"], field="mentors"),
            seekers=workspace_people(request.user, data["seekers"], field="seekers"),
            skills=workspace_skills(request.user, data["skills"]),
            ends_at=data["ends_at"],
        )
        return Response(_engagement_detail(request.user, engagement.pk), status=status.HTTP_201_CREATED)


class EngagementDetailView(APIView):
    @extend_schema(
        responses=s.EngagementDetailOut,
        summary="One engagement: people, timeline, commitments and milestones (participants)",
    )
    def get(self, request, engagement_id: int):
        return Response(_engagement_detail(request.user, engagement_id))


class EngagementExtendView(APIView):
    @extend_schema(request=s.ExtendIn, responses=s.EngagementDetailOut, summary="Extend once, with a reason")
    def post(self, request, engagement_id: int):
        data = parse_input(s.ExtendIn, request.data)
        engagement_services.engagement_extend(
            actor=request.user, engagement_id=engagement_id, ends_at=data["ends_at"], reason=data["reason"]
        )
        return Response(_engagement_detail(request.user, engagement_id))


class EngagementLeaveView(APIView):
    @extend_schema(request=s.ReasonIn, responses=s.EngagementDetailOut, summary="Leave a group engagement")
    def post(self, request, engagement_id: int):
        data = parse_input(s.ReasonIn, request.data)
        engagement_services.participant_leave(
            actor=request.user, engagement_id=engagement_id, reason=data["reason"]
        )
        return Response(_engagement_detail(request.user, engagement_id))


class EngagementTransitionView(APIView):
    @extend_schema(
        request=s.TransitionIn,
        responses=s.EngagementDetailOut,
        summary="Finish early (wrapping_up) or cancel (a reason is required to cancel)",
    )
    def post(self, request, engagement_id: int):
        data = parse_input(s.TransitionIn, request.data)
        if data["to_state"] == "cancelled":
            engagement_services.engagement_cancel(
                actor=request.user, engagement_id=engagement_id, reason=data["reason"]
            )
        else:
            engagement_services.engagement_finish_early(
                actor=request.user, engagement_id=engagement_id, reason=data["reason"]
            )
        return Response(_engagement_detail(request.user, engagement_id))


# --- commitments, milestones, feedback -------------------------------------------------


class CommitmentCreateView(APIView):
    @extend_schema(request=s.CommitmentIn, responses={201: s.CommitmentOut}, summary="Record my commitment")
    def post(self, request, engagement_id: int):
        data = parse_input(s.CommitmentIn, request.data)
        commitment = commitment_services.commitment_record(
            actor=request.user, engagement_id=engagement_id, text=data["text"], due_at=data["due_at"]
        )
        return Response(s.CommitmentOut(commitment).data, status=status.HTTP_201_CREATED)


class CommitmentConfirmView(APIView):
    @extend_schema(
        request=s.ConfirmIn,
        responses=s.CommitmentOut,
        summary="Counterpart: confirm a commitment kept or missed (never your own)",
    )
    def post(self, request, commitment_id: int):
        data = parse_input(s.ConfirmIn, request.data)
        commitment = commitment_services.commitment_confirm(
            actor=request.user, commitment_id=commitment_id, kept=data["kept"]
        )
        return Response(s.CommitmentOut(commitment).data)


class CommitmentReleaseView(APIView):
    @extend_schema(request=s.ReasonIn, responses=s.CommitmentOut, summary="Owner: release before it is due")
    def post(self, request, commitment_id: int):
        data = parse_input(s.ReasonIn, request.data)
        commitment = commitment_services.commitment_release(
            actor=request.user, commitment_id=commitment_id, reason=data["reason"]
        )
        return Response(s.CommitmentOut(commitment).data)


class MilestoneCreateView(APIView):
    @extend_schema(request=s.MilestoneIn, responses={201: s.MilestoneOut}, summary="Add a milestone")
    def post(self, request, engagement_id: int):
        data = parse_input(s.MilestoneIn, request.data)
        milestone = milestone_services.milestone_add(
            actor=request.user, engagement_id=engagement_id, title=data["title"], due_at=data["due_at"]
        )
        return Response(s.MilestoneOut(milestone).data, status=status.HTTP_201_CREATED)


class MilestoneCompleteView(APIView):
    @extend_schema(request=None, responses=s.MilestoneOut, summary="Mark a milestone done")
    def post(self, request, milestone_id: int):
        milestone = milestone_services.milestone_complete(actor=request.user, milestone_id=milestone_id)
        return Response(s.MilestoneOut(milestone).data)


class FeedbackCreateView(APIView):
    @extend_schema(
        request=s.FeedbackIn,
        responses={201: s.FeedbackOut},
        summary="Wrap-up feedback about one participant (once; double blind)",
    )
    def post(self, request, engagement_id: int):
        data = parse_input(s.FeedbackIn, request.data)
        engagement = selectors.access_engagement(request.user, engagement_id)
        people = {p.user_id: p.user for p in engagement.participants.all()}
        # An id that is not a participant goes to the service as an unsaved User with
        # that pk: it answers with its own field error on ``ratee`` (after its 404 and
        # 409 checks), and no other workspace's user is ever read.
        ratee = people.get(data["ratee"]) or User(pk=data["ratee"])
        feedback = feedback_services.feedback_submit(
            rater=request.user,
            engagement_id=engagement_id,
            ratee=ratee,
            competence=data["competence"],
            respectful=data["respectful"],
            honest=data["honest"],
            responsiveness=data["responsiveness"],
            would_work_again=data["would_work_again"],
            private_note=data["private_note"],
        )
        return Response(s.FeedbackOut(feedback).data, status=status.HTTP_201_CREATED)
