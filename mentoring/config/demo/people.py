"""The demo's people: the Acme Remote workspace, its skills and thirty onboarded
profiles, drawn from ``random.Random(42)`` before the database is touched, with the
story (Jonas needs Terraform, Priya is the obvious mentor) applied on top.

Idempotent: looked up by natural key (workspace slug, skill name, e-mail) and only
created when missing; a profile that is already onboarded is left alone, so a demo
user's own edits survive a second run.
"""

import functools
import random
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Membership, Organization, Skill, User, WorkspaceDomain
from accounts.services import profiles as profile_services
from accounts.services.skills import skill_alias_add, skill_create, skill_find

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
