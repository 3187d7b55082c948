"""REST API for chat: conversations (with unread counts), history with cursor
pagination by seq, send (idempotent on client_id), edit, delete, read marks.

Adapters only: parse with an input serializer, call one selector or service,
serialize with an output serializer. Errors go through core.api_errors;
real-time delivery of the same messages is the socket (docs/messaging.md).
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_input import parse_input
from core.pagination import PageNumberPagination
from messaging.chat import selectors, services
from messaging.chat import serializers as s

ERRORS = {
    400: OpenApiResponse(description="Invalid input: error.code names the problem, error.fields the field."),
    404: OpenApiResponse(description="No such conversation or message (also when it is not yours)."),
}


class ConversationListView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        responses=s.ConversationOut(many=True),
        summary="My conversations, most recently active first, with unread counts",
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.conversations_for(request.user), request, view=self)
        return paginator.get_paginated_response(s.ConversationOut(page, many=True).data)


class ConversationDetailView(APIView):
    @extend_schema(responses={200: s.ConversationOut, 404: ERRORS[404]}, summary="One conversation")
    def get(self, request, conversation_id: int):
        return Response(s.ConversationOut(selectors.conversation_detail(request.user, conversation_id)).data)


class MessageListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, description="Messages with a smaller seq (older page)."),
            OpenApiParameter("after", int, description="Messages with a larger seq (newer page)."),
            OpenApiParameter("limit", int, description="1–200, default 50."),
        ],
        responses={200: s.HistoryOut, **ERRORS},
        summary="History, paged by seq (latest page without a cursor)",
    )
    def get(self, request, conversation_id: int):
        query = parse_input(s.HistoryQuery, request.query_params)
        conversation = selectors.access_conversation(request.user, conversation_id)
        page = selectors.history(conversation, **query)
        messages = page.messages
        # seqs are gap-free (deleted messages stay as tombstones), so the
        # neighbours of a page are known without another query
        older = bool(messages) and messages[0].seq > 1
        newer = bool(messages) and messages[-1].seq < conversation.last_seq
        return Response(
            s.HistoryOut(
                {
                    "results": messages,
                    "has_more": page.has_more,
                    "next_before": messages[0].seq if older else None,
                    "next_after": messages[-1].seq if newer else None,
                }
            ).data
        )

    @extend_schema(
        request=s.MessageSendIn,
        responses={
            201: s.MessageOut,
            200: OpenApiResponse(
                s.MessageOut, description="A retry: the message stored earlier with this client_id."
            ),
            409: OpenApiResponse(description="conversation_closed or client_id_reused."),
            429: OpenApiResponse(description="rate_limited: too many messages in a short time."),
            **ERRORS,
        },
        summary="Send a message (idempotent on client_id)",
    )
    def post(self, request, conversation_id: int):
        data = parse_input(s.MessageSendIn, request.data)
        message = services.message_send(
            conversation_id=conversation_id,
            author=request.user,
            client_id=data["client_id"],
            body=data["body"],
            reply_to_seq=data.get("reply_to"),
        )
        return Response(
            s.MessageOut(message).data,
            status=status.HTTP_201_CREATED if message.created else status.HTTP_200_OK,
        )


class MessageDetailView(APIView):
    @extend_schema(
        request=s.MessageEditIn,
        responses={200: s.MessageOut, 403: OpenApiResponse(description="not_your_message"), **ERRORS},
        summary="Edit my message",
    )
    def patch(self, request, conversation_id: int, seq: int):
        data = parse_input(s.MessageEditIn, request.data)
        message = services.message_edit(
            conversation_id=conversation_id, seq=seq, actor=request.user, body=data["body"]
        )
        return Response(s.MessageOut(message).data)

    @extend_schema(
        request=None,
        responses={204: None, 403: OpenApiResponse(description="not_your_message"), 404: ERRORS[404]},
        summary="Delete my message (a tombstone keeps its seq)",
    )
    def delete(self, request, conversation_id: int, seq: int):
        services.message_delete(conversation_id=conversation_id, seq=seq, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadView(APIView):
    @extend_schema(request=s.ReadIn, responses={200: s.ReadOut, **ERRORS}, summary="Raise my read mark")
    def post(self, request, conversation_id: int):
        data = parse_input(s.ReadIn, request.data)
        stored = services.read_update(
            conversation_id=conversation_id,
            user=request.user,
            last_read_seq=data["last_read_seq"],
        )
        return Response({"conversation": conversation_id, "last_read_seq": stored})
