"""REST API for questions and answers (mounted under /api/): list and search,
ask, detail, answer, accept, vote helpful, resolve.

Adapters only: parse with an input serializer, call one selector
(``messaging.qa.selectors``) or service (``messaging.qa.services``), serialize with
an output serializer. Domain errors become ``{"error": {"code", "message", "fields"}}`` (core.api_errors).
The list batch-loads authors, engagements, skills and answer counts, so its
query count does not grow with the page size.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_input import parse_input
from core.pagination import PageNumberPagination
from messaging.models import MAX_BODY_CHARS, QUESTION_TITLE_CHARS, Question
from messaging.qa import preview, selectors, services

ERRORS = {
    400: OpenApiResponse(description="Invalid input: error.fields names each field and the fix."),
    404: OpenApiResponse(description="No such question or answer (also when you may not see it)."),
}

# --- output ---------------------------------------------------------------------------


class QAPersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class QASkillOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown as written.")
    body_html = serializers.CharField(help_text="Sanitized HTML rendering of body.")
    author = QAPersonOut()
    scope = serializers.ChoiceField(choices=Question.Scope.choices)
    engagement = serializers.IntegerField(source="engagement_id", allow_null=True)
    state = serializers.ChoiceField(choices=Question.State.choices)
    skills = QASkillOut(many=True, source="skills.all")
    accepted_answer = serializers.IntegerField(source="accepted_answer_id", allow_null=True)
    answer_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class AnswerOut(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.IntegerField(source="question_id")
    author = QAPersonOut()
    body = serializers.CharField()
    body_html = serializers.CharField()
    accepted = serializers.BooleanField()
    helpful_count = serializers.IntegerField()
    voted = serializers.BooleanField(default=False, help_text="Did I mark it helpful?")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)


class QuestionDetailOut(QuestionOut):
    skills = QASkillOut(many=True, source="skill_list")
    answers = AnswerOut(many=True, help_text="Accepted first, then most helpful, then oldest.")


class QuestionPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QuestionOut(many=True)


# --- input ----------------------------------------------------------------------------


class SearchIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    skill = serializers.IntegerField(required=False, min_value=1)
    state = serializers.ChoiceField(choices=Question.State.choices, required=False)


class AskIn(serializers.Serializer):
    title = serializers.CharField(max_length=QUESTION_TITLE_CHARS)
    body = serializers.CharField(max_length=MAX_BODY_CHARS)
    scope = serializers.ChoiceField(choices=Question.Scope.choices, default=Question.Scope.NETWORK)
    engagement = serializers.IntegerField(
        required=False, allow_null=True, help_text="Required for scope=engagement."
    )
    skills = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=5)


class PreviewIn(serializers.Serializer):
    title = serializers.CharField(max_length=QUESTION_TITLE_CHARS)
    body = serializers.CharField(max_length=MAX_BODY_CHARS, required=False, allow_blank=True, default="")


class InferredSkillOut(serializers.Serializer):
    id = serializers.IntegerField(source="skill_id")
    name = serializers.CharField()
    confidence = serializers.FloatField()
    reason = serializers.CharField(help_text="Why: a name or alias written in the text, or close in meaning.")


class AnswererOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    accepted = serializers.BooleanField()


class SolvedQuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.ChoiceField(choices=Question.State.choices)
    link = serializers.CharField(source="get_absolute_url")


class SolvedBeforeOut(serializers.Serializer):
    question = SolvedQuestionOut()
    similarity = serializers.FloatField(
        allow_null=True, help_text="Cosine of meaning; null when found by words."
    )
    answerers = serializers.SerializerMethodField()

    def get_answerers(self, item) -> list[dict]:
        return [{"id": pk, "name": name, "accepted": accepted} for pk, name, accepted in item.answerers]


class PreviewOut(serializers.Serializer):
    skills = InferredSkillOut(many=True)
    solved_before = SolvedBeforeOut(many=True, source="solved")
    by_meaning = serializers.BooleanField(help_text="False when the embedding model is not installed.")


class AnswerPostIn(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_CHARS)


# --- views ----------------------------------------------------------------------------


class QuestionListView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words to find in titles, bodies and answers."),
            OpenApiParameter("skill", int, description="Only questions about this skill (id)."),
            OpenApiParameter(
                "state", str, enum=Question.State.values, description="open, answered or resolved."
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="1–100, default 20."),
        ],
        responses={200: QuestionPageOut, 400: ERRORS[400]},
        operation_id="questions_list",
        summary="Questions I can see, best match first when searching (newest first otherwise)",
    )
    def get(self, request):
        """Kept in the read cache like the list page (``selectors.cached_for_viewer``)."""
        data = parse_input(SearchIn, request.query_params)

        def page_data() -> dict:
            results = selectors.questions_search(
                request.user, data.get("q", ""), skill_id=data.get("skill"), state=data.get("state")
            )
            paginator = self.pagination_class()
            page = paginator.paginate_queryset(results, request, view=self)
            return paginator.get_paginated_response(QuestionOut(page, many=True).data).data

        return Response(
            selectors.cached_for_viewer(request.user, ("api", request.build_absolute_uri()), page_data)
        )

    @extend_schema(
        request=AskIn,
        responses={201: QuestionDetailOut, 400: ERRORS[400]},
        summary="Ask a question (the network, or one of my running engagements)",
    )
    def post(self, request):
        values = parse_input(AskIn, request.data)
        question = services.question_ask(
            author=request.user,
            title=values["title"],
            body=values["body"],
            scope=values["scope"],
            engagement_id=values.get("engagement"),
            skill_ids=values.get("skills", []),
        )
        return Response(_question_detail(request.user, question.pk), status=status.HTTP_201_CREATED)


class QuestionPreviewView(APIView):
    @extend_schema(
        request=PreviewIn,
        responses={200: PreviewOut, 400: ERRORS[400]},
        operation_id="questions_preview",
        summary="Before asking: the skills we infer and questions solved before, with who answered",
    )
    def post(self, request):
        values = parse_input(PreviewIn, request.data)
        found = preview.ask_preview(viewer=request.user, title=values["title"], body=values["body"])
        return Response(PreviewOut(found).data)


def _question_detail(viewer, question_id) -> dict:
    page = selectors.question_detail(viewer, question_id)
    question = page.question
    question.answer_count = len(page.answers)
    data = QuestionOut(question).data
    data["skills"] = QASkillOut(question.skill_list, many=True).data
    data["answers"] = AnswerOut(page.answers, many=True).data
    return data


class QuestionDetailView(APIView):
    @extend_schema(
        responses={200: QuestionDetailOut, 404: ERRORS[404]}, summary="One question with its answers"
    )
    def get(self, request, question_id: int):
        return Response(_question_detail(request.user, question_id))


class AnswerListView(APIView):
    @extend_schema(
        request=AnswerPostIn,
        responses={
            201: AnswerOut,
            403: OpenApiResponse(description="You cannot answer your own question."),
            409: OpenApiResponse(description="The question is resolved."),
            **ERRORS,
        },
        summary="Answer a question",
    )
    def post(self, request, question_id: int):
        data = parse_input(AnswerPostIn, request.data)
        answer = services.answer_post(author=request.user, question_id=question_id, body=data["body"])
        return Response(AnswerOut(answer).data, status=status.HTTP_201_CREATED)


class AnswerAcceptView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: AnswerOut,
            403: OpenApiResponse(description="Only the asker can accept."),
            409: OpenApiResponse(description="The question is resolved."),
            404: ERRORS[404],
        },
        summary="Accept an answer to my question (switches from a previously accepted one)",
    )
    def post(self, request, answer_id: int):
        return Response(AnswerOut(services.answer_accept(actor=request.user, answer_id=answer_id)).data)


class AnswerHelpfulView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: AnswerOut,
            403: OpenApiResponse(description="Not on your own answer."),
            404: ERRORS[404],
        },
        summary="Mark an answer helpful (once per person; repeating changes nothing)",
    )
    def post(self, request, answer_id: int):
        answer = services.answer_vote_helpful(voter=request.user, answer_id=answer_id)
        answer.voted = True
        return Response(AnswerOut(answer).data)


class QuestionResolveView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: QuestionDetailOut,
            403: OpenApiResponse(description="Only the asker can resolve."),
            404: ERRORS[404],
        },
        summary="Resolve my question (no more answers; idempotent)",
    )
    def post(self, request, question_id: int):
        services.question_resolve(actor=request.user, question_id=question_id)
        return Response(_question_detail(request.user, question_id))
