"""HTML pages for questions and answers: the list with search and filters, the
ask form, and one question with its answers. Adapters: parse with a form, call
one selector or service (messaging/qa/services.py), render. Plain form posts, so
everything works without JavaScript."""

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors.profiles import workspace_skills
from core.errors import DomainError, NotFound
from mentoring.engagements.forms import apply_domain_error
from mentoring.engagements.views import member_page
from messaging.qa import services as qa
from messaging.qa.forms import AnswerForm, AskForm, SearchForm

PAGE_SIZE = 20


@member_page
def question_list(request):
    skills = workspace_skills(request.user)
    form = SearchForm(request.GET or None, skills=skills)
    page = None
    if form.is_bound and not form.is_valid():
        results = qa.questions_search(request.user, "")
    else:
        data = form.cleaned_data if form.is_bound else {}
        try:
            results = qa.questions_search(
                request.user, data.get("q") or "", skill_id=data.get("skill"), state=data.get("state") or None
            )
        except DomainError as error:
            apply_domain_error(form, error)
            results = qa.questions_search(request.user, "")
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "messaging/questions/list.html",
        {
            "form": form,
            "page": page,
            "filtered": any(request.GET.get(name) for name in ("q", "skill", "state")),
            "query_string": query.urlencode(),
        },
    )


@member_page
def question_ask(request):
    engagements = list(qa.askable_engagements(request.user))
    form = AskForm(request.POST or None, viewer=request.user, engagements=engagements)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                question = qa.question_ask(author=request.user, **form.service_arguments())
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                flash.success(request, "Your question is posted.")
                return redirect(question.get_absolute_url())
        status = 400
    return render(request, "messaging/questions/ask.html", {"form": form}, status=status)


def _detail(request, question_id, *, answer_form=None, status=200):
    page = qa.question_detail(request.user, question_id)
    from messaging.routing.views import question_page_context  # the routing part of the page

    return render(
        request,
        "messaging/questions/detail.html",
        {
            "qa": page,
            "question": page.question,
            "answer_form": answer_form or AnswerForm(),
            **question_page_context(request.user, page.question),
        },
        status=status,
    )


@member_page
def question_detail(request, question_id):
    return _detail(request, question_id)


@member_page
@require_POST
def answer_post(request, question_id):
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            qa.answer_post(author=request.user, question_id=question_id, body=form.cleaned_data["body"])
        except NotFound:
            raise
        except DomainError as error:
            apply_domain_error(form, error)
            return _detail(request, question_id, answer_form=form, status=error.status)
        flash.success(request, "Your answer is posted.")
        return redirect(qa.access_question(request.user, question_id).get_absolute_url() + "#answers")
    return _detail(request, question_id, answer_form=form, status=400)


def _act(request, question_id, action, done: str):
    """Run one service for a button on the question page; errors come back as a message."""
    try:
        action()
    except NotFound:
        raise
    except DomainError as error:
        flash.error(request, error.message)
    else:
        flash.success(request, done)
    return redirect(qa.access_question(request.user, question_id).get_absolute_url() + "#answers")


@member_page
@require_POST
def answer_accept(request, question_id, answer_id):
    answer = qa.access_answer(request.user, answer_id)
    if answer.question_id != int(question_id):
        raise NotFound("No such answer.")
    return _act(
        request,
        question_id,
        lambda: qa.answer_accept(actor=request.user, answer_id=answer.pk),
        "Answer accepted. Thank you for closing the loop.",
    )


@member_page
@require_POST
def answer_vote(request, question_id, answer_id):
    answer = qa.access_answer(request.user, answer_id)
    if answer.question_id != int(question_id):
        raise NotFound("No such answer.")
    return _act(
        request,
        question_id,
        lambda: qa.answer_vote_helpful(voter=request.user, answer_id=answer.pk),
        "Marked as helpful.",
    )


@member_page
@require_POST
def question_resolve(request, question_id):
    return _act(
        request,
        question_id,
        lambda: qa.question_resolve(actor=request.user, question_id=question_id),
        "Question resolved.",
    )
