"""The demo's activity: engagements with chats and commitments, network questions
with answers, one pending invitation.

Everything goes through the real services, so trust evidence, notifications,
conversations and audit rows are the real thing. It happened "in the past" (the
clock is moved back around each step with ``core.clock.travel_by``), so engagements
are under way today. Each step is atomic and guarded by a stable title (request
and question titles), so a second run adds nothing.
"""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from accounts.models import Organization, Skill, User
from core import clock
from mentoring.config.demo.people import WORKSPACE_DOMAIN, PersonPlan
from mentoring.engagements.services.commitments import commitment_confirm, commitment_record
from mentoring.engagements.services.invitations import invitation_accept, invitations_send
from mentoring.engagements.services.requests import request_create
from mentoring.models import MentoringRequest
from messaging.chat.services import conversation_for_engagement, message_send
from messaging.models import Question
from messaging.qa import services as question_services

# Kept free by the activity so the demo's story still works: Jonas has no engagement
# yet and Priya has capacity for him; Hiroshi gets the pending invitation.
STORY_PEOPLE = {"jonas.weber", "priya.raman", "hiroshi.tanaka"}
PENDING_MENTOR = "hiroshi.tanaka"
PENDING_SKILL = "Kubernetes"
PENDING_TITLE = "Debug a flaky Kubernetes rollout"
ENGAGEMENT_COUNT = 5
MIN_MENTOR_LEVEL = 3
MENTOR, SEEKER = "mentor", "seeker"

# Per engagement (in order): days since it started, then commitments as
# (who commits, what, kept?). kept None = still open; False = missed (one only).
ENGAGEMENT_SHAPES: list[tuple[int, list[tuple[str, str, bool | None]]]] = [
    (
        12,
        [
            (MENTOR, "Review your first draft and leave written comments", True),
            (SEEKER, "Write up what I learned in our team wiki", True),
        ],
    ),
    (10, [(SEEKER, "Finish the exercise we sketched and share the link", True)]),
    (9, [(SEEKER, "Read the chapter you recommended and bring two questions", False)]),
    (6, [(MENTOR, "Send you three real examples from our codebase", True)]),
    (2, [(SEEKER, "Try the approach on my current ticket", None)]),
]

# skill, title, body, answers (the first one gets accepted when accept is True), accept
QUESTIONS: list[tuple[str, str, str, list[str], bool]] = [
    (
        "PostgreSQL",
        "How do you find the slow query behind a slow page?",
        "Our settings page got slow after the last release. Where do you start: "
        "`pg_stat_statements`, `EXPLAIN ANALYZE`, or the app's own timings?",
        [
            "Start with `pg_stat_statements` sorted by total time, then `EXPLAIN (ANALYZE, BUFFERS)` "
            "the top one. Nine times out of ten it is a missing index or an N+1 from the ORM.",
            "Turn on `log_min_duration_statement = 250ms` for a day; the log tells you which page it is.",
        ],
        True,
    ),
    (
        "Docker",
        "Smallest sensible base image for a Python service?",
        "We ship `python:3.11` images of about 1 GB. Is `-slim` enough, or is distroless worth the pain?",
        ["`python:3.11-slim` plus a multi-stage build gets you to ~150 MB with no surprises."],
        False,
    ),
]


@dataclass(frozen=True)
class EngagementPlan:
    seeker: str  # email_local
    mentor: str
    skill: str
    days_ago: int
    commitments: tuple[tuple[str, str, bool | None], ...]

    @property
    def title(self) -> str:
        return f"Get going with {self.skill}"


def _expert_level(plan: PersonPlan, skill: str) -> int:
    return max((level for name, level, _ in plan.expertise if name == skill), default=0)


def plan_engagements(plans: list[PersonPlan]) -> list[EngagementPlan]:
    """Seekers (in PEOPLE order) with a learning goal some free, open mentor is an
    expert in. Drawn from the plan alone, so it is the same on every run."""
    load: Counter[str] = Counter()
    mentors = [
        p
        for p in plans
        if p.open_to_mentor and not p.is_away and not p.person.manager
        if p.person.email_local not in STORY_PEOPLE
    ]
    engagements: list[EngagementPlan] = []
    for plan in plans:
        seeker = plan.person.email_local
        if plan.person.manager or seeker in STORY_PEOPLE or plan.is_away:
            continue
        for skill, _note in plan.goals:
            candidates = [
                m
                for m in mentors
                if m.person.email_local != seeker
                and _expert_level(m, skill) >= MIN_MENTOR_LEVEL
                and m.capacity - load[m.person.email_local] > 0
            ]
            if not candidates:
                continue
            mentor = min(candidates, key=lambda m: (-_expert_level(m, skill), m.person.email_local))
            load[mentor.person.email_local] += 1
            days_ago, commitments = ENGAGEMENT_SHAPES[len(engagements)]
            engagements.append(
                EngagementPlan(
                    seeker=seeker,
                    mentor=mentor.person.email_local,
                    skill=skill,
                    days_ago=days_ago,
                    commitments=tuple(commitments),
                )
            )
            break
        if len(engagements) == ENGAGEMENT_COUNT:
            break
    return engagements


def _user(email_local: str) -> User:
    return User.objects.get(email=f"{email_local}@{WORKSPACE_DOMAIN}")


def _days_ago(days: float):
    return clock.travel_by(-timedelta(days=days))


def _client_id(*parts: object) -> uuid.UUID:
    # Stable per message, so a retried send is recognised by message_send itself.
    return uuid.uuid5(uuid.NAMESPACE_URL, "tandem-demo:" + ":".join(map(str, parts)))


def seed_engagement(organization: Organization, skills: dict[str, Skill], plan: EngagementPlan) -> bool:
    """Request → invitation → accept, a short chat, commitments. False if already there."""
    seeker, mentor = _user(plan.seeker), _user(plan.mentor)
    if MentoringRequest.objects.filter(organization=organization, seeker=seeker, title=plan.title).exists():
        return False
    start = plan.days_ago
    with transaction.atomic():
        with _days_ago(start):
            request = request_create(
                seeker=seeker,
                title=plan.title,
                description=f"I want to get productive with {plan.skill} on real work, "
                "with someone who has done it before.",
                skill_ids=[skills[plan.skill].pk],
                desired_duration_days=30,
            )
            [invitation, *_] = invitations_send(seeker=seeker, request_id=request.pk, mentors=[mentor])
        with _days_ago(start - 0.1):
            engagement = invitation_accept(mentor=mentor, invitation_id=invitation.pk)
            conversation = conversation_for_engagement(engagement=engagement)
            chat = [
                (
                    seeker,
                    f"Hi {mentor.full_name.split()[0]}, thanks for taking this on! "
                    f"Where would you start with {plan.skill}?",
                ),
                (
                    mentor,
                    "Happy to. Let's pick one real task of yours and do it together — "
                    "send me what you're working on this week.",
                ),
                (seeker, "Deal. I'll share the ticket and my first attempt tomorrow."),
            ]
            for n, (author, body) in enumerate(chat):
                message_send(
                    conversation_id=conversation.pk,
                    author=author,
                    client_id=_client_id(request.pk, n),
                    body=body,
                )
        people = {MENTOR: mentor, SEEKER: seeker}
        for who, text, kept in plan.commitments:
            owner, counterpart = people[who], people[SEEKER if who == MENTOR else MENTOR]
            with _days_ago(start - 1):
                commitment = commitment_record(
                    actor=owner,
                    engagement_id=engagement.pk,
                    text=text,
                    due_at=clock.now() + timedelta(days=2),
                )
            if kept is None:
                continue
            # Kept a day before it was due; missed a day after (only then may it be missed).
            with _days_ago(start - (2 if kept else 4)):
                commitment_confirm(actor=counterpart, commitment_id=commitment.pk, kept=kept)
    return True


def seed_questions(organization: Organization, skills: dict[str, Skill], people: list[PersonPlan]) -> int:
    """Network questions with answers from people who know the skill; one accepted."""
    created = 0
    for n, (skill, title, body, answers, accept) in enumerate(QUESTIONS):
        if Question.objects.filter(organization=organization, title=title).exists():
            continue
        experts = sorted(
            (p for p in people if _expert_level(p, skill) >= MIN_MENTOR_LEVEL and not p.person.manager),
            key=lambda p: (-_expert_level(p, skill), p.person.email_local),
        )
        askers = [
            p
            for p in people
            if _expert_level(p, skill) == 0
            and not p.person.manager
            and p.person.email_local not in STORY_PEOPLE
        ]
        if len(experts) < len(answers) or not askers:
            continue
        asker = _user(askers[n].person.email_local)
        with transaction.atomic():
            with _days_ago(5 - n):
                question = question_services.question_ask(
                    author=asker,
                    title=title,
                    body=body,
                    scope=Question.Scope.NETWORK,
                    skill_ids=[skills[skill].pk],
                )
            posted = []
            for k, (expert, text) in enumerate(zip(experts, answers, strict=False)):
                with _days_ago(4.5 - n - k * 0.2):
                    posted.append(
                        question_services.answer_post(
                            author=_user(expert.person.email_local), question_id=question.pk, body=text
                        )
                    )
            if accept:
                with _days_ago(4 - n):
                    question_services.answer_accept(actor=asker, answer_id=posted[0].pk)
        created += 1
    return created


def seed_pending_invitation(
    organization: Organization, skills: dict[str, Skill], people: list[PersonPlan], busy: set[str]
) -> bool:
    """One invitation still waiting for Hiroshi, so /mentoring/invitations/ shows it."""
    if MentoringRequest.objects.filter(organization=organization, title=PENDING_TITLE).exists():
        return False
    seeker_plan = next(
        p
        for p in people
        if not p.person.manager
        and not p.is_away
        and p.person.email_local not in STORY_PEOPLE | busy
        and _expert_level(p, PENDING_SKILL) == 0
    )
    seeker = _user(seeker_plan.person.email_local)
    with transaction.atomic():
        request = request_create(
            seeker=seeker,
            title=PENDING_TITLE,
            description="Our deploys hang at 3 of 4 pods about once a day. "
            "I'd love an hour with someone who has seen this before.",
            skill_ids=[skills[PENDING_SKILL].pk],
        )
        invitations_send(seeker=seeker, request_id=request.pk, mentors=[_user(PENDING_MENTOR)])
    return True
