"""HTML pages for questions and answers: the list with search and filters, the ask
form, and the buttons on a question (accept, helpful, resolve). Adapters: parse with
a form, call one selector (messaging/qa/selectors.py) or service
(messaging/qa/services.py), render. Plain form posts, so everything works without
JavaScript. A domain error a button runs into is shown by
``core.html_errors.DomainErrorMiddleware``.

The question page itself (the question, its answers and, for a network question,
its routing) and its answer form are composed one layer up, in
``messaging.routing.views``.
"""

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from accounts.access import member_required
from accounts.selectors.profiles import workspace_skill_choices
from core import read_cache
from core.errors import NotFound, PermissionDenied
from core.html_errors import form_status, run_form
from core.idempotency import form_token, submit_once
from messaging.qa import preview, selectors, services
from messaging.qa.forms import AskForm, SearchForm, with_inferred_skills

PAGE_SIZE = 20


@member_required
def question_list(request):
    """The list and search. Its search fields and results are kept in the read cache
    (topic ``questions``, ``selectors.kept_for_viewer``): the key is the query string
    and the engagements the viewer is in (the engagement questions they may see)."""
    entry = selectors.kept_for_viewer(request.user, ("list", read_cache.query_parts(request.GET)))
    search_fields, results, _kept = entry.fetch(
        lambda: _question_list_regions(request), keep=lambda regions: regions[2]
    )
    return render(
        request, "messaging/questions/list.html", {"search_fields": search_fields, "results": results}
    )


def _question_list_regions(request) -> tuple[str, str, bool]:
    """(search fields HTML, results HTML, kept) of the list for this request: a search
    the form or the selector refused shows its errors and everything, and is not kept."""
    form = SearchForm(request.GET or None, skills=workspace_skill_choices(request.user))
    results = None
    if form.is_bound:
        results = run_form(
            form,
            lambda: selectors.questions_search(
                request.user,
                form.cleaned_data.get("q") or "",
                skill_id=form.cleaned_data.get("skill"),
                state=form.cleaned_data.get("state") or None,
            ),
        )
    refused = form.is_bound and results is None
    if results is None:  # no search, or an invalid one (the form says why): everything
        results = selectors.questions_search(request.user, "")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": Paginator(results, PAGE_SIZE).get_page(request.GET.get("page")),
        "filtered": any(request.GET.get(name) for name in ("q", "skill", "state")),
        "query_string": query.urlencode(),
    }
    search_fields = render_to_string("messaging/questions/_search_fields.html", context, request)
    return search_fields, render_to_string("messaging/questions/_results.html", context, request), not refused


@member_required
def question_ask(request):
    """The ask form. "Check first" (``check`` in the POST) shows the inferred skills —
    filled into empty skill fields, for the asker to keep or change — and questions
    solved before, without posting anything."""
    engagements = list(selectors.askable_engagements(request.user))
    form = AskForm(request.POST or None, viewer=request.user, engagements=engagements)
    context = {"form": form, "form_token": form_token(request)}
    if request.method != "POST":
        return render(request, "messaging/questions/ask.html", context)
    if "check" in request.POST:
        found = run_form(
            form,
            lambda: preview.ask_preview(
                viewer=request.user, title=request.POST.get("title", ""), body=request.POST.get("body", "")
            ),
        )
        if found is not None:
            form = AskForm(
                with_inferred_skills(request.POST, found.skills), viewer=request.user, engagements=engagements
            )
        return render(request, "messaging/questions/ask.html", {**context, "form": form, "preview": found})

    def ask() -> str | None:
        question = run_form(
            form, lambda: services.question_ask(author=request.user, **form.service_arguments())
        )
        if question is None:
            return None
        flash.success(request, "Your question is posted.")
        return question.get_absolute_url()

    url = submit_once(request, ask)  # a double submit lands on the first question
    if url is None:
        return render(request, "messaging/questions/ask.html", context, status=form_status(form))
    return redirect(url)


def _button(request, question_id, action, done: str):
    """Run the service of one button on the question page and go back to the answers.
    Conflicts reach ``DomainErrorMiddleware`` (flashed, back to the page); a
    PermissionDenied (another person's button) is flashed here on the question page,
    because the middleware's 403 page speaks of talent managers only."""
    try:
        action()
    except PermissionDenied as error:
        flash.error(request, error.message)
    else:
        flash.success(request, done)
    return redirect(selectors.access_question(request.user, question_id).get_absolute_url() + "#answers")


def _answer_of(request, question_id, answer_id):
    answer = selectors.access_answer(request.user, answer_id)
    if answer.question_id != int(question_id):
        raise NotFound("No such answer.")
    return answer


@member_required
@require_POST
def answer_accept(request, question_id, answer_id):
    answer = _answer_of(request, question_id, answer_id)
    return _button(
        request,
        question_id,
        lambda: services.answer_accept(actor=request.user, answer_id=answer.pk),
        "Answer accepted. Thank you for closing the loop.",
    )


@member_required
@require_POST
def answer_vote(request, question_id, answer_id):
    answer = _answer_of(request, question_id, answer_id)
    return _button(
        request,
        question_id,
        lambda: services.answer_vote_helpful(voter=request.user, answer_id=answer.pk),
        "Marked as helpful.",
    )


@member_required
@require_POST
def question_resolve(request, question_id):
    return _button(
        request,
        question_id,
        lambda: services.question_resolve(actor=request.user, question_id=question_id),
        "Question resolved.",
    )
