"""``python manage.py seed_demo``: the "Acme Remote" demo workspace.

Idempotent: everything is looked up by a natural key (workspace slug, skill
name, e-mail) and only created when missing; a profile that is already
onboarded is left alone, so running it twice changes nothing and a demo user's
own edits survive. The plan is drawn from ``random.Random(42)`` before the
database is touched, so it is the same on every machine and every run.

Activity (engagements with chats and commitments, network questions, one pending
invitation) is created only through the real services, dated a few days back
with ``core.clock.travel_by``, and guarded by its stable titles (request and
question titles), so a second run adds nothing; trust is recomputed only when
something new was written. Jonas and Priya stay free for the "Find a mentor" story.

Later features extend it with one function per section (see ``handle``).
"""

import functools
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Membership, Organization, Skill, User, WorkspaceDomain
from accounts.services import profiles as profile_services
from accounts.services.skills import skill_alias_add, skill_create, skill_find
from core import clock
from core.errors import DomainError
from mentoring.engagements.services.commitments import commitment_confirm, commitment_record
from mentoring.engagements.services.invitations import invitation_accept, invitations_send
from mentoring.engagements.services.requests import request_create
from mentoring.models import MentoringRequest
from messaging.chat.services import conversation_for_engagement, message_send
from messaging.models import Question
from messaging.qa import services as question_services
from trust import services as trust_services

DEMO_PASSWORD = "tandem-demo-2026"  # noqa: S105 - public demo logins, printed on purpose
WORKSPACE_NAME = "Acme Remote"
WORKSPACE_SLUG = "acme"
WORKSPACE_DOMAIN = "acme.example"
SEED = 42

# name, aliases
SKILLS: list[tuple[str, tuple[str, ...]]] = [
    ("Python", ("py",)),
    ("Django", ()),
    ("Go", ("Golang",)),
    ("Rust", ()),
    ("TypeScript", ("TS",)),
    ("React", ("React.js", "ReactJS")),
    ("SQL", ()),
    ("PostgreSQL", ("Postgres", "psql")),
    ("Terraform", ("tf", "HCL")),
    ("Kubernetes", ("k8s", "kube")),
    ("Docker", ("containers",)),
    ("AWS", ("Amazon Web Services",)),
    ("CI/CD", ("continuous integration", "GitHub Actions")),
    ("Observability", ("o11y", "monitoring")),
    ("Incident response", ("on-call",)),
    ("Application security", ("AppSec", "security")),
    ("Data analysis", ("analytics",)),
    ("Machine learning", ("ML",)),
    ("Product discovery", ("discovery",)),
    ("UX research", ("user research",)),
    ("Figma", ()),
    ("Accessibility", ("a11y",)),
    ("Technical writing", ("docs", "documentation")),
    ("Stakeholder management", ()),
    ("Public speaking", ("presenting",)),
]

# Skill pools per role, so expertise looks like real people's.
ROLE_SKILLS = {
    "backend": ["Python", "Django", "Go", "SQL", "PostgreSQL", "Docker", "Rust", "Observability"],
    "platform": [
        "Terraform",
        "Kubernetes",
        "Docker",
        "AWS",
        "CI/CD",
        "Observability",
        "Incident response",
        "Go",
    ],
    "frontend": ["TypeScript", "React", "Accessibility", "Figma", "CI/CD"],
    "data": ["Python", "SQL", "Data analysis", "Machine learning", "PostgreSQL"],
    "product": [
        "Product discovery",
        "Stakeholder management",
        "UX research",
        "Data analysis",
        "Public speaking",
    ],
    "design": ["Figma", "UX research", "Accessibility", "Product discovery"],
    "security": ["Application security", "AWS", "Kubernetes", "Incident response", "Python"],
    "writing": ["Technical writing", "Public speaking", "Accessibility"],
    "people": ["Stakeholder management", "Public speaking", "Product discovery", "Technical writing"],
}


@dataclass(frozen=True)
class Person:
    full_name: str
    email_local: str
    timezone: str
    role: str
    headline: str
    manager: bool = False

    @property
    def email(self) -> str:
        return f"{self.email_local}@{WORKSPACE_DOMAIN}"


PEOPLE: list[Person] = [
    Person(
        "Amara Okafor", "amara.okafor", "Africa/Lagos", "people", "Talent manager, engineering", manager=True
    ),
    Person(
        "Priya Raman", "priya.raman", "Asia/Kolkata", "platform", "Staff platform engineer (Terraform, AWS)"
    ),
    Person(
        "Jonas Weber", "jonas.weber", "Europe/Berlin", "backend", "Backend engineer, new to infrastructure"
    ),
    Person("Sofia Marques", "sofia.marques", "Europe/Lisbon", "frontend", "Front-end lead, design systems"),
    Person("Daniel Kim", "daniel.kim", "Asia/Seoul", "backend", "Go and distributed systems"),
    Person("Lucía Fernández", "lucia.fernandez", "Europe/Madrid", "product", "Product manager, payments"),
    Person("Kwame Mensah", "kwame.mensah", "Africa/Accra", "security", "Application security engineer"),
    Person("Emily Carter", "emily.carter", "America/New_York", "data", "Data scientist, growth analytics"),
    Person("Hiroshi Tanaka", "hiroshi.tanaka", "Asia/Tokyo", "platform", "SRE, Kubernetes and on-call"),
    Person(
        "Fatima Zahra Benali",
        "fatima.benali",
        "Africa/Casablanca",
        "design",
        "Product designer, research-led",
    ),
    Person("Liam O'Connor", "liam.oconnor", "Europe/Dublin", "backend", "Python and Django engineer"),
    Person("Mei Lin", "mei.lin", "Asia/Singapore", "data", "Machine learning engineer"),
    Person(
        "Carlos Mendoza", "carlos.mendoza", "America/Mexico_City", "frontend", "React and TypeScript engineer"
    ),
    Person(
        "Aisha Njoroge", "aisha.njoroge", "Africa/Nairobi", "platform", "DevOps engineer, CI/CD pipelines"
    ),
    Person("Oliver Smith", "oliver.smith", "Europe/London", "writing", "Technical writer, developer docs"),
    Person("Ana Paula Souza", "ana.souza", "America/Sao_Paulo", "product", "Product discovery coach"),
    Person("Noah Williams", "noah.williams", "America/Los_Angeles", "backend", "Rust and performance work"),
    Person(
        "Zanele Dlamini", "zanele.dlamini", "Africa/Johannesburg", "data", "Analytics engineer, SQL and dbt"
    ),
    Person(
        "Mateusz Nowak", "mateusz.nowak", "Europe/Warsaw", "security", "Cloud security, AWS and Kubernetes"
    ),
    Person("Chloé Dubois", "chloe.dubois", "Europe/Paris", "design", "Accessibility specialist"),
    Person(
        "Arjun Mehta", "arjun.mehta", "Asia/Kolkata", "backend", "PostgreSQL performance and data modelling"
    ),
    Person("Grace Tan", "grace.tan", "Asia/Manila", "frontend", "Front-end engineer, accessibility champion"),
    Person("Ethan Brown", "ethan.brown", "America/Chicago", "platform", "Platform engineer, observability"),
    Person("Yasmin Haddad", "yasmin.haddad", "Asia/Dubai", "product", "Product manager, internal tools"),
    Person(
        "Lars Eriksson", "lars.eriksson", "Europe/Stockholm", "platform", "Infrastructure engineer, Terraform"
    ),
    Person(
        "Hannah Fischer", "hannah.fischer", "Europe/Vienna", "people", "Engineering manager, mentoring lead"
    ),
    Person("Tane Walker", "tane.walker", "Pacific/Auckland", "backend", "Backend engineer, APIs and Go"),
    Person(
        "Olivia Nguyen", "olivia.nguyen", "Australia/Sydney", "data", "Data engineer, streaming pipelines"
    ),
    Person("Samuel Osei", "samuel.osei", "America/Toronto", "writing", "Developer advocate and speaker"),
    Person("Isabela Rocha", "isabela.rocha", "America/Sao_Paulo", "frontend", "Junior front-end engineer"),
]

HOUR_PATTERNS = [
    [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)],
    [
        w
        for d in range(5)
        for w in ({"day": d, "start": "08:30", "end": "12:00"}, {"day": d, "start": "13:00", "end": "17:30"})
    ],
    [{"day": d, "start": "07:00", "end": "15:00"} for d in range(5)],
    [{"day": d, "start": "11:00", "end": "19:00"} for d in range(5)],
    [{"day": d, "start": "08:00", "end": "18:00"} for d in range(4)],
]

BIO_OPENERS = [
    "I've spent {years} years {doing}, most of it on small remote teams.",
    "For the last {years} years I've been {doing}.",
    "{years} years in, I still enjoy {doing} more than anything else.",
]
BIO_DOING = {
    "backend": "building backend services and the databases under them",
    "platform": "keeping infrastructure boring, reproducible and well-monitored",
    "frontend": "building interfaces that are fast and work for everyone",
    "data": "turning messy data into decisions people trust",
    "product": "helping teams find out what is worth building",
    "design": "designing products with the people who use them",
    "security": "helping engineers ship secure software without slowing down",
    "writing": "writing the docs developers actually read",
    "people": "growing engineers and the teams around them",
}
BIO_ASKS = [
    "Happy to pair on a real problem — bring the messy version.",
    "Ask me anything about **{skill}**; I answer fastest in writing.",
    "I like short, focused sessions with a clear goal.",
    "Send me your draft and I'll give you _honest_ feedback.",
]


@dataclass
class PersonPlan:
    person: Person
    bio: str
    working_hours: list[dict]
    capacity: int
    work_mode: str
    cadence: str
    feedback_style: str
    open_to_mentor: bool
    seeking: bool
    is_away: bool
    expertise: list[tuple[str, int, int]] = field(default_factory=list)  # skill, level, years
    goals: list[tuple[str, str]] = field(default_factory=list)  # skill, note


def build_plan(rng: random.Random) -> list[PersonPlan]:
    """Everything about the demo people, drawn deterministically from ``rng``."""
    all_skills = [name for name, _ in SKILLS]
    plans = []
    for person in PEOPLE:
        pool = ROLE_SKILLS[person.role]
        picked = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
        years_total = rng.randint(2, 18)
        expertise = [(skill, rng.randint(2, 5), rng.randint(1, years_total)) for skill in picked]
        learnable = [name for name in all_skills if name not in picked]
        goals = [
            (skill, rng.choice(["", "for my next project", "to unblock my team", "to mentor others later"]))
            for skill in rng.sample(learnable, k=rng.randint(1, 2))
        ]
        bio = "\n\n".join(
            [
                rng.choice(BIO_OPENERS).format(years=years_total, doing=BIO_DOING[person.role]),
                rng.choice(BIO_ASKS).format(skill=picked[0]),
            ]
        )
        plans.append(
            PersonPlan(
                person=person,
                bio=bio,
                working_hours=rng.choice(HOUR_PATTERNS),
                capacity=rng.randint(1, 4),
                work_mode=rng.choice(["async", "mixed", "live"]),
                cadence=rng.choice(["daily", "few_weekly", "weekly", "as_needed"]),
                feedback_style=rng.choice(["direct", "balanced", "gentle"]),
                open_to_mentor=rng.random() < 0.7,
                seeking=rng.random() < 0.4,
                is_away=rng.random() < 0.07,
                expertise=expertise,
                goals=goals,
            )
        )
    return plans


# The demo's story (DESIGN §1): Jonas must ship his first Terraform module and
# Priya is the obvious mentor. Applied on top of the random draw.
STORY = {
    "priya.raman": {
        "open_to_mentor": True,
        "is_away": False,
        "expertise": [("Terraform", 5, 8), ("AWS", 4, 7)],
    },
    "jonas.weber": {
        "seeking": True,
        "is_away": False,
        "goals": [("Terraform", "ship my first Terraform module this week")],
    },
    "hiroshi.tanaka": {"open_to_mentor": True, "is_away": False, "expertise": [("Kubernetes", 5, 9)]},
}


def apply_story(plans: list[PersonPlan]) -> list[PersonPlan]:
    for plan in plans:
        story = STORY.get(plan.person.email_local, {})
        for flag in ("open_to_mentor", "seeking", "is_away"):
            if flag in story:
                setattr(plan, flag, story[flag])
        for skill, level, years in story.get("expertise", []):
            plan.expertise = [e for e in plan.expertise if e[0] != skill] + [(skill, level, years)]
            plan.goals = [g for g in plan.goals if g[0] != skill]
        for skill, note in story.get("goals", []):
            plan.goals = [g for g in plan.goals if g[0] != skill] + [(skill, note)]
            plan.expertise = [e for e in plan.expertise if e[0] != skill]
    return plans


def seed_workspace() -> Organization:
    # Direct get_or_create rather than workspace_create(): the demo needs the fixed slug
    # "acme" and must not add audit entries or a creator on every run.
    organization, _ = Organization.objects.get_or_create(
        slug=WORKSPACE_SLUG, defaults={"name": WORKSPACE_NAME}
    )
    if not WorkspaceDomain.objects.filter(domain__iexact=WORKSPACE_DOMAIN).exists():
        WorkspaceDomain.objects.create(organization=organization, domain=WORKSPACE_DOMAIN)
    return organization


def seed_skills(organization: Organization) -> dict[str, Skill]:
    skills = {}
    for name, aliases in SKILLS:
        skill = skill_find(organization=organization, name=name)
        if skill is None:
            skill = skill_create(organization=organization, name=name, aliases=aliases)
        else:
            for alias in aliases:
                if skill_find(organization=organization, name=alias) is None:
                    skill_alias_add(skill=skill, name=alias)
        skills[name] = skill
    return skills


@functools.cache
def _demo_password_hash() -> str:
    # Hashing is deliberately slow; every demo account has the same public password,
    # so hash it once per run instead of thirty times.
    return make_password(DEMO_PASSWORD)


def seed_person(organization: Organization, skills: dict[str, Skill], plan: PersonPlan) -> User:
    person = plan.person
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            email=person.email, defaults={"full_name": person.full_name}
        )
        if created:
            user.password = _demo_password_hash()
            user.save(update_fields=["password"])
        role = Membership.Role.TALENT_MANAGER if person.manager else Membership.Role.MEMBER
        Membership.objects.get_or_create(user=user, defaults={"organization": organization, "role": role})
        EmailAddress.objects.get_or_create(
            user=user, email=person.email, defaults={"verified": True, "primary": True}
        )
        if user.profile.onboarded_at is not None:
            return user  # already seeded (or edited by someone trying the demo): leave it
        profile_services.profile_update(
            user=user,
            full_name=person.full_name,
            headline=person.headline,
            bio=plan.bio,
            timezone=person.timezone,
            working_hours=plan.working_hours,
            capacity=plan.capacity,
            work_mode=plan.work_mode,
            cadence=plan.cadence,
            feedback_style=plan.feedback_style,
            open_to_mentor=plan.open_to_mentor,
            seeking=plan.seeking,
            is_away=plan.is_away,
        )
        for skill_name, level, years in plan.expertise:
            profile_services.expertise_set(
                user=user, skill_id=skills[skill_name].pk, level=level, years=years
            )
        for skill_name, note in plan.goals:
            profile_services.learning_goal_add(user=user, skill_id=skills[skill_name].pk, note=note)
        profile_services.profile_complete_onboarding(user=user)
    return user


def seed_people(organization: Organization, skills: dict[str, Skill], plans: list[PersonPlan]) -> list[User]:
    return [seed_person(organization, skills, plan) for plan in plans]


# --- activity -------------------------------------------------------------------
# Everything below goes through the real services, so trust evidence, notifications,
# conversations and audit rows are the real thing. It happened "in the past" (the
# clock is moved back around each step), so engagements are under way today.

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


class Command(BaseCommand):
    help = "Create (or complete) the Acme Remote demo workspace. Safe to run again: changes nothing twice."

    def handle(self, *args, **options):
        plans = apply_story(build_plan(random.Random(SEED)))
        organization = seed_workspace()
        skills = seed_skills(organization)
        seed_people(organization, skills, plans)
        self.seed_activity(organization, skills, plans)
        self.print_logins(plans)

    def seed_activity(
        self, organization: Organization, skills: dict[str, Skill], plans: list[PersonPlan]
    ) -> None:
        engagement_plans = plan_engagements(plans)
        engagements = sum(
            self._attempt(seed_engagement, organization, skills, plan) for plan in engagement_plans
        )
        questions = self._attempt(seed_questions, organization, skills, plans)
        busy = {plan.seeker for plan in engagement_plans}
        pending = self._attempt(seed_pending_invitation, organization, skills, plans, busy)
        if not (engagements or questions or pending):
            self.stdout.write("Demo activity is already there: nothing new.")
            return
        scored = trust_services.recompute_all(organization_id=organization.pk)
        self.stdout.write(
            f"Demo activity: {engagements} engagement(s), {questions} question(s), "
            f"{int(pending)} pending invitation(s); trust recomputed ({scored} score rows)."
        )

    def _attempt(self, step, *args) -> int:
        """Run one activity step (each is atomic). A demo user who changed their
        profile since can make a step impossible: say which, and go on with the rest."""
        try:
            return int(step(*args))
        except DomainError as error:
            self.stderr.write(f"Skipped a demo step ({step.__name__}): {error} {error.fields or ''}".rstrip())
            return 0

    def print_logins(self, plans: list[PersonPlan]) -> None:
        manager = next(plan.person for plan in plans if plan.person.manager)
        members = [plan.person for plan in plans if not plan.person.manager][:4]
        write = self.stdout.write
        write(self.style.SUCCESS(f"Demo workspace “{WORKSPACE_NAME}” is ready ({len(plans)} people)."))
        write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        write(f"  talent manager  {manager.email}  ({manager.full_name})")
        for person in members:
            write(f"  member          {person.email}  ({person.full_name}, {person.headline})")
