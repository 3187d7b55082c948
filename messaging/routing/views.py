"""HTML pages for "ask the network" routing (DESIGN §6), the parts a person sees:

- the question page (``question_detail``, and ``answer_post`` that re-renders it
  with the answer form's errors): the question and its answers from
  ``messaging.qa.selectors``, plus, for a network question, the asker's (and a talent
  manager's) live progress — who was asked in which wave and what came of it (a
  partial that static/js/routing.js re-reads when a ``question.progress`` frame
  arrives) — and the "you were asked" banner of a candidate;
- the candidate's "Questions for you" inbox with answer / pass / refer;
- a member picker (``<option>``s for a ``<datalist>``) for referring someone.

The page lives here, not in ``messaging.qa.views``, because routing is the layer above
Q&A: it composes both. Adapters: parse, call one service or selector
(``messaging.routing.selectors``, ``.replies``; ``messaging.qa``), render. Plain form
posts with CSRF, so everything works without JavaScript; a domain error a button runs
into is shown by ``core.html_errors.DomainErrorMiddleware``.
"""

import json
import math

from django import forms
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.access import member_required
from accounts.selectors.profiles import directory_profiles
from core import clock
from core.errors import NotFound
from core.html_errors import form_status, run_form
from messaging.models import Question, RoutingAttempt
from messaging.qa import selectors as qa_selectors
from messaging.qa import services as qa_services
from messaging.qa.forms import AnswerForm
from messaging.routing import replies, selectors
from messaging.routing.params import TYPING_SECONDS

PAGE_SIZE = 20
PEOPLE_SUGGESTIONS = 10
# routing.js re-reads the progress this long after a typing marker was seen, so
# "1 is typing an answer" goes away when the marker expires
TYPING_REFRESH_SECONDS = TYPING_SECONDS


# --- progress (asker and talent managers) ---------------------------------------------


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def progress_summary(progress: dict, *, now=None) -> str:
    """One line for people and screen readers, e.g. "Sent to 3 people · 1 is
    typing an answer · next wave in 8 min". static/js/routing.js builds the same
    line from a ``question.progress`` frame (keep the two in step)."""
    state = progress.get("state")
    sent = progress.get("sent") or 0
    if not sent:
        if state == Question.RoutingState.EXHAUSTED:
            return "Nobody in the workspace fits this question yet; it stays open for anyone to answer."
        if state == Question.RoutingState.ROUTING:
            return "Finding the right people to ask…"
        return "Not sent to anyone yet."
    parts = [f"Sent to {_plural(sent, 'person', 'people')}"]
    typing = progress.get("typing") or 0
    if typing:
        parts.append(f"{typing} {'is' if typing == 1 else 'are'} typing an answer")
    for key, one, many in (
        ("answered", "answered", "answered"),
        ("passed", "passed", "passed"),
        ("referred", "referred someone", "referred someone"),
        ("missed", "did not reply in time", "did not reply in time"),
    ):
        if progress.get(key):
            parts.append(f"{progress[key]} {one if progress[key] == 1 else many}")
    next_wave_at = progress.get("next_wave_at")
    if state == Question.RoutingState.ROUTING and next_wave_at:
        if isinstance(next_wave_at, str):
            next_wave_at = parse_datetime(next_wave_at)
        seconds = (next_wave_at - (now or clock.now())).total_seconds() if next_wave_at else 0
        if seconds > 60:
            parts.append(f"next wave in {math.ceil(seconds / 60)} min")
        elif next_wave_at:
            parts.append("next wave in less than a minute")
    elif state == Question.RoutingState.EXHAUSTED:
        parts.append("nobody else to ask")
    return " · ".join(parts)


def _progress_context(view: selectors.RoutingView) -> dict:
    """What templates/messaging/questions/_routing_progress.html needs. Scores and
    their breakdown only for talent managers; the asker sees names and outcomes."""
    waves: list[dict] = []
    for attempt in view.attempts:
        if not waves or waves[-1]["number"] != attempt.wave:
            waves.append({"number": attempt.wave, "attempts": []})
        waves[-1]["attempts"].append(attempt)
    now = clock.now()
    next_wave_at = view.progress.get("next_wave_at")
    if isinstance(next_wave_at, str):
        next_wave_at = parse_datetime(next_wave_at)
    return {
        "question": view.question,
        "progress": view.progress,
        "progress_json": json.dumps(view.progress, cls=DjangoJSONEncoder),
        "next_wave_at": next_wave_at,
        "summary": progress_summary(view.progress, now=now),
        "waves": waves,
        "show_scores": view.role == "manager",
        "server_now": now,
        "typing_refresh_seconds": TYPING_REFRESH_SECONDS,
    }


def _routing_context(viewer, question: Question) -> dict:
    """The routing part of the question page: ``routing`` (the live progress, for
    the asker and talent managers) and ``routing_attempt`` (the viewer's own
    request to answer, for the "you were asked" banner)."""
    if question.scope != Question.Scope.NETWORK:
        return {}
    try:
        view = selectors.routing_detail(viewer, question.pk)
    except NotFound:
        return {}  # an ordinary reader: routing is none of their business
    context = {"routing_attempt": view.mine}
    if view.role in ("asker", "manager"):
        context["routing"] = _progress_context(view)
    return context


def _question_page(request, question_id, *, answer_form=None, status=200):
    page = qa_selectors.question_detail(request.user, question_id)
    return render(
        request,
        "messaging/questions/detail.html",
        {
            "qa": page,
            "question": page.question,
            "answer_form": answer_form or AnswerForm(),
            **_routing_context(request.user, page.question),
        },
        status=status,
    )


@member_required
def question_detail(request, question_id):
    """The question page: the question, its answers and its routing."""
    return _question_page(request, question_id)


@member_required
@require_POST
def answer_post(request, question_id):
    """The answer form of the question page; errors re-render the page."""
    form = AnswerForm(request.POST)
    answer = run_form(
        form,
        lambda: qa_services.answer_post(
            author=request.user, question_id=question_id, body=form.cleaned_data["body"]
        ),
    )
    if answer is None:
        return _question_page(request, question_id, answer_form=form, status=form_status(form))
    flash.success(request, "Your answer is posted.")
    return redirect(answer.question.get_absolute_url() + "#answers")


@member_required
@require_GET
def question_routing(request, question_id):
    """The progress partial alone (static/js/routing.js swaps it in)."""
    view = selectors.routing_detail(request.user, question_id)
    if view.role not in ("asker", "manager"):
        raise NotFound("No such question.")
    return render(request, "messaging/questions/_routing_progress.html", _progress_context(view))


# --- the candidate's inbox ----------------------------------------------------------


def _pending_count(user) -> int:
    return selectors.routed_to(user).filter(outcome=RoutingAttempt.Outcome.PENDING).count()


def _inbox_context(request) -> dict:
    attempts = selectors.routed_to(request.user).select_related("question", "question__author", "referred_by")
    page = Paginator(attempts, PAGE_SIZE).get_page(request.GET.get("page"))
    for attempt in page.object_list:
        attempt.answer_form = AnswerForm(auto_id=f"routed-{attempt.pk}-%s")
    pending = _pending_count(request.user)
    return {"page": page, "pending": pending, "routed_pending": pending, "now": clock.now()}


@member_required
@require_GET
def routed_inbox(request):
    """ "Questions for you": what the routing asked this person, pending first."""
    context = _inbox_context(request)
    if request.GET.get("partial") == "list":
        return render(request, "messaging/questions/_for_you_list.html", context)
    return render(request, "messaging/questions/for_you.html", context)


@member_required
@require_GET
def routed_panel(request):
    """Home's "questions for you" partial: the pending ones, soonest window first."""
    pending = selectors.routed_to(request.user).filter(outcome=RoutingAttempt.Outcome.PENDING)
    return render(
        request,
        "messaging/questions/_routed_panel.html",
        {
            "attempts": list(pending.select_related("question")[:6]),
            "viewer_tz": request.user.profile.timezone,
        },
    )


@member_required
@require_GET
def routed_count(request):
    """``{"pending": n}`` for the nav badge (routing.js re-reads it when a question is routed here)."""
    return JsonResponse({"pending": _pending_count(request.user)})


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@member_required
@require_POST
def routed_pass(request, question_id):
    question = qa_selectors.access_question(request.user, question_id)
    replies.routing_respond(user=request.user, question_id=question.pk, action="pass")
    flash.success(request, f"You passed on “{question.title}”. Thanks for saying so quickly.")
    return redirect(_back(request, reverse("messaging:routed_inbox")))


# --- refer someone ----------------------------------------------------------------------


class ReferForm(forms.Form):
    """Who to refer: a name typed with suggestions from the directory (the
    datalist fills ``person_id`` when the name matches a suggestion); without
    JavaScript the name alone is resolved among the workspace's members."""

    person = forms.CharField(
        label="Who knows this better?",
        max_length=150,
        help_text="Start typing a name or a skill: people of your workspace are suggested.",
        error_messages={"required": "Type the name of the person you want to refer."},
    )
    person_id = forms.IntegerField(required=False, widget=forms.HiddenInput(attrs={"data-person-id": ""}))

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["person"].widget = forms.TextInput(
            attrs={
                "autocomplete": "off",
                "list": "refer-people-options",
                "data-person-autocomplete": "",
                "hx-get": reverse("messaging:people_autocomplete"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#refer-people-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )

    def clean(self):
        data = super().clean()
        typed = " ".join((data.get("person") or "").split())
        if not typed:
            return data
        if typed.casefold() in (self.viewer.display_name.casefold(), self.viewer.email.casefold()):
            self.add_error("person", "That is you: refer a colleague, or pass if you cannot answer.")
            return data
        people = directory_profiles(self.viewer).exclude(user_id=self.viewer.pk)
        chosen = data.get("person_id")
        if chosen:
            profile = people.filter(user_id=chosen).first()
            if profile is not None and profile.user.display_name.casefold() == typed.casefold():
                data["referee"] = profile.user
                return data
        matches = list(people.filter(Q(user__full_name__iexact=typed) | Q(user__email__iexact=typed))[:2])
        if not matches:
            self.add_error(
                "person", f"Nobody called “{typed}” is in your workspace; pick someone from the suggestions."
            )
        elif len(matches) > 1:
            self.add_error(
                "person",
                f"Several people are called “{typed}”; pick one from the suggestions or type their e-mail.",
            )
        else:
            data["referee"] = matches[0].user
        return data


# what came of a referral (``RoutingResponse.referral_status``), in the referrer's words
REFERRAL_OUTCOMES = {
    "asked": "We asked {name} to look at it.",
    "already_asked": "{name} had already been asked about it.",
    "away": "{name} is away just now, so we did not ask them.",
    "capped": "{name} already had enough requests today, so we did not ask them.",
}


def _refer_page(request, question, attempt, form, *, status=200):
    return render(
        request,
        "messaging/questions/refer.html",
        {"question": question, "attempt": attempt, "form": form},
        status=status,
    )


@member_required
def routed_refer(request, question_id):
    """GET: the form; POST: refer someone (``routing_respond(action="refer")``)."""
    view = selectors.routing_detail(request.user, question_id)
    question, attempt = view.question, view.mine
    if attempt is None:
        raise NotFound("No such question.")  # only someone who was asked can refer
    form = ReferForm(request.POST or None, viewer=request.user)
    if request.method != "POST":
        return _refer_page(request, question, attempt, form)
    response = run_form(
        form,
        lambda: replies.routing_respond(
            user=request.user,
            question_id=question.pk,
            action="refer",
            refer_to_id=form.cleaned_data["referee"].pk,
        ),
        rename={"refer_to": "person"},  # the service names the colleague refer_to, the form person
    )
    if response is None:
        return _refer_page(request, question, attempt, form, status=form_status(form))
    name = form.cleaned_data["referee"].display_name
    outcome = REFERRAL_OUTCOMES.get(response.referral_status, REFERRAL_OUTCOMES["asked"])
    flash.success(request, "Thank you for pointing the way. " + outcome.format(name=name))
    return redirect("messaging:routed_inbox")


@member_required
@require_GET
def people_autocomplete(request):
    """``<option>``s for the refer form's ``<datalist>``: members of the viewer's
    workspace (not the viewer) matching ``q`` or the field's value by name,
    headline or skill."""
    q = (request.GET.get("q") or request.GET.get("person") or "").strip()[:100]
    people = []
    if q:
        people = list(
            directory_profiles(request.user, q=q).exclude(user_id=request.user.pk)[:PEOPLE_SUGGESTIONS]
        )
    return render(request, "messaging/questions/_people_options.html", {"people": people})
