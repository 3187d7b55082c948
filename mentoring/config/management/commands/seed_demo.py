"""``python manage.py seed_demo``: the "Acme Remote" demo workspace.

Idempotent: running it twice changes nothing, and a demo user's own edits survive
(``mentoring.config.demo.people``). The plan is drawn from ``random.Random(42)``
before the database is touched, so it is the same on every machine and every run.
Activity (``mentoring.config.demo.activity``) is created only through the real
services; trust is recomputed only when something new was written. Jonas and Priya
stay free for the "Find a mentor" story.

The command lives in the project wiring (``mentoring.config``) because it drives
every app. Later features extend it with one function per section (see ``handle``).
"""

import random

from django.core.management.base import BaseCommand

from accounts.models import Organization, Skill
from core.errors import DomainError
from mentoring.config.demo.activity import (
    plan_engagements,
    seed_engagement,
    seed_pending_invitation,
    seed_questions,
)
from mentoring.config.demo.people import (
    DEMO_PASSWORD,
    SEED,
    WORKSPACE_NAME,
    PersonPlan,
    apply_story,
    build_plan,
    seed_people,
    seed_skills,
    seed_workspace,
)
from trust import services as trust_services


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
