"""Programs for talent managers (mentoring/programs/services.py, selectors.py, views.py): create and edit
with validation, participants picked from the directory, program KPIs against a
hand-computed fixture, access (members 403, other workspaces 404), the audit trail and
the pinned query count of the list page."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry
from core.errors import NotFound, ValidationFailed
from mentoring.models import Commitment, Engagement, Feedback, Participant, Program, ProgramParticipant
from mentoring.programs import fit, selectors, services
from mentoring.programs.kpis import ProgramKpis, program_kpis
from messaging.chat import activity
from messaging.models import Conversation, Message
from tests.clients import client_for
from tests.factories import member, talent_manager
from tests.mentoring.factories import EngagementFactory, ProgramFactory, mentor

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
S, M = Participant.Role.SEEKER, Participant.Role.MENTOR


def fields(**overrides) -> services.ProgramFields:
    values = {
        "name": "Platform onboarding",
        "kind": "situational",
        "description": "First month on the platform team.",
        "starts_on": date(2026, 7, 1),
        "ends_on": date(2026, 9, 30),
        "default_duration_days": 21,
        "min_level": 2,
    }
    values.update(overrides)
    return services.ProgramFields(**values)


def form_data(**overrides) -> dict:
    data = {
        "name": "Platform onboarding",
        "kind": "situational",
        "starts_on": "2026-07-01",
        "ends_on": "2026-09-30",
        "default_duration_days": "21",
        "description": "First month.",
        "min_level": "2",
        "weight_skill_fit": "0.5",
        "weight_competence": "0.2",
        "weight_responsiveness": "0.1",
        "weight_working_hours": "0.1",
        "weight_load": "0.05",
        "weight_work_style": "0.05",
    }
    data.update(overrides)
    return data


# --- create / edit ----------------------------------------------------------------------------------


def test_a_manager_creates_a_program_with_its_matching_rules_and_it_is_audited(org, manager):
    program = services.program_create(
        manager.membership,
        manager,
        fields(
            weights={
                "skill_fit": 0.6,
                "competence": 0.2,
                "responsiveness": 0.1,
                "working_hours": 0.1,
                "load": 0,
                "work_style": 0,
            }
        ),
    )

    assert program.organization == org
    assert (program.kind, program.default_duration_days) == ("situational", 21)
    assert program.matching_rules == {
        "min_level": 2,
        "weights": {
            "skill_fit": 0.6,
            "competence": 0.2,
            "responsiveness": 0.1,
            "working_hours": 0.1,
            "load": 0.0,
            "work_style": 0.0,
        },
    }
    entry = AuditEntry.objects.get(action="program.created")
    assert (entry.actor, entry.target_id) == (manager, str(program.pk))


def test_the_program_weights_drive_the_cohort_fit(org, manager):
    only_skill = dict.fromkeys(services.FACTORS, 0.0) | {"skill_fit": 1.0}
    program = services.program_create(manager.membership, manager, fields(weights=only_skill))
    ana = mentor(org, full_name="Ana")
    sam = member(org, full_name="Sam")
    from tests.factories import ExpertiseFactory, LearningGoalFactory, SkillFactory

    skill = SkillFactory(organization=org, name="Go")
    ExpertiseFactory(user=ana, skill=skill, level=4)
    LearningGoalFactory(user=sam, skill=skill)
    ProgramParticipant.objects.create(program=program, user=ana, role=M)
    ProgramParticipant.objects.create(program=program, user=sam, role=S)

    data = fit.cohort_fit_matrix(program=program)

    assert data.fit[0, 0] == pytest.approx(0.8)  # level 4 / 5, the only factor that counts
    assert data.weights["skill_fit"] == 1.0


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": "  "}, "name"),
        ({"kind": "weekly"}, "kind"),
        ({"starts_on": date(2026, 9, 1), "ends_on": date(2026, 8, 1)}, "ends_on"),
        ({"default_duration_days": 45}, "default_duration_days"),  # situational: at most 30
        ({"default_duration_days": 0}, "default_duration_days"),
        ({"min_level": 6}, "min_level"),
        ({"weights": dict.fromkeys(services.FACTORS, 0.0)}, "weights"),
        ({"weights": dict.fromkeys(services.FACTORS, 0.1) | {"load": 1.5}}, "weight_load"),
        ({"weights": dict.fromkeys(services.FACTORS, 0.1) | {"load": -0.1}}, "weight_load"),
        ({"weights": dict.fromkeys(services.FACTORS, 0.1) | {"charm": 0.3}}, "weights"),
    ],
)
def test_bad_program_fields_are_refused_naming_the_field(manager, overrides, field):
    with pytest.raises(ValidationFailed) as error:
        services.program_create(manager.membership, manager, fields(**overrides))

    assert field in error.value.fields
    assert not Program.objects.exists()


def test_a_program_name_is_unique_per_workspace_ignoring_case(org, manager, other_org):
    services.program_create(manager.membership, manager, fields(name="Cohort A"))

    with pytest.raises(ValidationFailed) as error:
        services.program_create(manager.membership, manager, fields(name="cohort a"))

    assert "name" in error.value.fields
    # another workspace may use the name
    other = talent_manager(other_org)
    services.program_create(other.membership, other, fields(name="Cohort A"))


def test_the_create_page_creates_and_redirects_to_the_program(manager):
    client = client_for(manager)

    response = client.post(reverse("dashboard:program_create"), form_data())

    program = Program.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:program_detail", args=[program.pk])
    assert program.matching_rules["weights"]["skill_fit"] == 0.5


def test_an_inverted_date_range_on_the_form_is_a_400_naming_the_field(manager):
    client = client_for(manager)

    response = client.post(
        reverse("dashboard:program_create"), form_data(starts_on="2026-09-30", ends_on="2026-07-01")
    )

    assert response.status_code == 400
    assert "cannot end before it starts" in response.content.decode()
    assert not Program.objects.exists()


@pytest.mark.parametrize(
    "overrides, text",
    [
        ({"weight_load": "3"}, "less than or equal to 1"),
        ({"weight_load": "abc"}, "Enter a number"),
        ({"default_duration_days": "60"}, "lasts 1 to 30 days"),
        ({"starts_on": "2026-02-31"}, "Enter a valid date"),
    ],
)
def test_bad_form_input_is_a_400_with_the_reason(manager, overrides, text):
    client = client_for(manager)

    response = client.post(reverse("dashboard:program_create"), form_data(**overrides))

    assert response.status_code == 400
    assert text in response.content.decode()
    assert not Program.objects.exists()


def test_the_edit_page_shows_the_current_values_and_saves_changes(org, manager):
    program = services.program_create(manager.membership, manager, fields())
    client = client_for(manager)

    page = client.get(reverse("dashboard:program_edit", args=[program.pk])).content.decode()
    assert 'value="Platform onboarding"' in page and 'value="21"' in page

    response = client.post(
        reverse("dashboard:program_edit", args=[program.pk]),
        form_data(name="Renamed", kind="ongoing", default_duration_days="90"),
    )

    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.name, program.kind, program.default_duration_days) == ("Renamed", "ongoing", 90)
    assert AuditEntry.objects.filter(action="program.updated", target_id=str(program.pk)).exists()


# --- access -----------------------------------------------------------------------------------------


def program_urls(program_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("dashboard:programs")),
        ("get", reverse("dashboard:program_create")),
        ("get", reverse("dashboard:program_detail", args=[program_id])),
        ("get", reverse("dashboard:program_edit", args=[program_id])),
        ("get", reverse("dashboard:program_participants_upload", args=[program_id])),
        ("get", reverse("dashboard:program_matching", args=[program_id])),
        ("post", reverse("dashboard:program_participant_add", args=[program_id])),
        ("post", reverse("dashboard:program_participant_remove", args=[program_id, 1])),
        ("post", reverse("dashboard:program_matching_run", args=[program_id])),
        ("post", reverse("dashboard:program_matching_reassign", args=[program_id])),
        ("post", reverse("dashboard:program_matching_swap", args=[program_id])),
        ("post", reverse("dashboard:program_matching_publish", args=[program_id])),
        ("post", reverse("dashboard:program_matching_discard", args=[program_id])),
        ("get", reverse("dashboard:program_cohort_result", args=[program_id, 1])),
    ]


def test_a_member_gets_403_on_every_program_url(org, seeker):
    program = ProgramFactory(organization=org)
    client = client_for(seeker)

    for method, url in program_urls(program.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
    assert not AuditEntry.objects.exists()


def test_a_manager_of_another_workspace_gets_404_for_every_program_url(org, other_org):
    program = ProgramFactory(organization=org)
    elsewhere = talent_manager(other_org)
    client = client_for(elsewhere)

    for method, url in program_urls(program.pk)[2:]:
        response = getattr(client, method)(
            url, {"version": 1, "seeker": 1, "other": 2, "user": 1, "role": "mentor"}
        )
        assert response.status_code == 404, url
    with pytest.raises(NotFound):
        selectors.access_program(elsewhere.membership, program.pk)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("dashboard:programs"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- participants picked from the directory ---------------------------------------------------------


def test_a_manager_finds_members_and_adds_them_as_mentor_or_seeker(org, other_org, manager, ana, seeker):
    program = ProgramFactory(organization=org)
    outsider = member(other_org, full_name="Ana Outsider")
    client = client_for(manager)

    page = client.get(reverse("dashboard:program_detail", args=[program.pk]), {"q": "Ana"}).content.decode()
    assert "Ana Mentor" in page and "Ana Outsider" not in page

    url = reverse("dashboard:program_participant_add", args=[program.pk])
    client.post(url, {"user": ana.pk, "role": "mentor"})
    client.post(url, {"user": seeker.pk, "role": "seeker"})
    response = client.post(url, {"user": outsider.pk, "role": "seeker"}, follow=True)

    assert "No such member in this workspace" in response.content.decode()
    assert set(ProgramParticipant.objects.values_list("user_id", "role")) == {
        (ana.pk, "mentor"),
        (seeker.pk, "seeker"),
    }
    assert AuditEntry.objects.filter(action="program.participant_added").count() == 2


def test_adding_someone_twice_or_with_a_bad_role_is_refused(org, manager, ana):
    program = ProgramFactory(organization=org)
    services.participant_add(manager.membership, manager, program, user_id=ana.pk, role="mentor")

    with pytest.raises(ValidationFailed, match="already in the program as mentor"):
        services.participant_add(manager.membership, manager, program, user_id=ana.pk, role="seeker")
    with pytest.raises(ValidationFailed) as error:
        services.participant_add(manager.membership, manager, program, user_id=ana.pk, role="boss")
    assert "role" in error.value.fields


def test_removing_a_participant_keeps_their_engagements_and_another_programs_row_is_404(org, manager, ana):
    program, other = ProgramFactory(organization=org), ProgramFactory(organization=org)
    row = ProgramParticipant.objects.create(program=program, user=ana, role=M)
    client = client_for(manager)

    wrong = client.post(reverse("dashboard:program_participant_remove", args=[other.pk, row.pk]))
    assert wrong.status_code == 404

    response = client.post(reverse("dashboard:program_participant_remove", args=[program.pk, row.pk]))
    assert response.status_code == 302
    assert not ProgramParticipant.objects.exists()
    assert AuditEntry.objects.filter(action="program.participant_removed").count() == 1


# --- KPIs -------------------------------------------------------------------------------------------


def _message(engagement, author, when):
    conversation, _ = Conversation.objects.get_or_create(
        engagement=engagement, defaults={"organization_id": engagement.organization_id}
    )
    conversation.last_seq += 1
    conversation.save(update_fields=["last_seq"])
    Message.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        author=author,
        body="never read",
        client_id=uuid.uuid4(),
        created_at=when,
    )


def build_program(org):
    """Hand-computed: 2 mentors + 3 seekers enrolled; 3 engagements (active, completed,
    cancelled); commitments kept 2, missed 1, released 1, open 1 → 2/3; feedback ratings
    4, 5, 3, 2 → 3.5; first mentor answers after 2 h and 4 h (a seeker's earlier message
    does not count, e3 has none) → median 3 h."""
    program = ProgramFactory(organization=org, name="Cohort K")
    m1, m2 = mentor(org, full_name="Kim Mentor"), mentor(org, full_name="Kai Mentor")
    s1, s2, s3 = (member(org, full_name=n) for n in ("Kit One", "Kat Two", "Kip Three"))
    for user, role in ((m1, M), (m2, M), (s1, S), (s2, S), (s3, S)):
        ProgramParticipant.objects.create(program=program, user=user, role=role)
    e1 = EngagementFactory(organization=org, program=program, starts_at=T0, participants=[(m1, M), (s1, S)])
    e2 = EngagementFactory(
        organization=org,
        program=program,
        starts_at=T0,
        state=Engagement.State.COMPLETED,
        ended_at=T0 + timedelta(days=10),
        participants=[(m2, M), (s2, S)],
    )
    e3 = EngagementFactory(
        organization=org,
        program=program,
        starts_at=T0,
        state=Engagement.State.CANCELLED,
        ended_at=T0 + timedelta(days=1),
        participants=[(m1, M), (s3, S)],
    )
    _message(e1, s1, T0 + timedelta(minutes=30))  # the seeker first: not an answer
    _message(e1, m1, T0 + timedelta(hours=2))
    _message(e2, s2, T0 + timedelta(hours=1))
    _message(e2, m2, T0 + timedelta(hours=4))
    _message(e2, m2, T0 + timedelta(hours=5))
    due = T0 + timedelta(days=2)
    decided = {"decided_at": T0 + timedelta(days=3)}
    Commitment.objects.create(
        engagement=e1, owner=m1, text="a", due_at=due, state="kept", confirmed_by=s1, **decided
    )
    Commitment.objects.create(
        engagement=e2, owner=m2, text="b", due_at=due, state="kept", confirmed_by=s2, **decided
    )
    Commitment.objects.create(
        engagement=e2, owner=s2, text="c", due_at=due, state="missed", confirmed_by=m2, **decided
    )
    Commitment.objects.create(engagement=e3, owner=s3, text="d", due_at=due, state="released", **decided)
    Commitment.objects.create(engagement=e1, owner=s1, text="e", due_at=due)
    rating = {"respectful": True, "honest": True, "would_work_again": True}
    Feedback.objects.create(engagement=e2, rater=s2, ratee=m2, competence=4, responsiveness=5, **rating)
    Feedback.objects.create(engagement=e2, rater=m2, ratee=s2, competence=3, responsiveness=2, **rating)
    # the messages were written directly, not through message_send: recount the activity
    # rollup (first replies included) as the nightly repair would
    activity.rebuild_all(organization_id=org.pk)
    return program


def test_program_kpis_match_the_hand_computed_fixture(org):
    program = build_program(org)
    empty = ProgramFactory(organization=org, name="Empty")
    # an engagement outside any program changes nothing
    EngagementFactory(organization=org, starts_at=T0, participants=[(mentor(org), M), (member(org), S)])

    kpis = program_kpis([program, empty])

    assert kpis[program.pk] == ProgramKpis(
        mentors=2,
        seekers=3,
        engagements=3,
        active=1,
        completed=1,
        commitments_kept_rate=pytest.approx(0.6667),
        feedback_average=3.5,
        feedback_count=2,
        median_hours_to_first_answer=3.0,
    )
    assert kpis[program.pk].participants == 5
    assert kpis[empty.pk] == ProgramKpis()
    assert kpis[empty.pk].commitments_kept_rate is None  # no data, not 0


def test_the_program_list_shows_the_kpis_and_is_audited(org, manager):
    build_program(org)
    client = client_for(manager)

    response = client.get(reverse("dashboard:programs"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Cohort K" in page
    assert "67%" in page and "3.50" in page and "3.0 h" in page
    assert AuditEntry.objects.filter(action="dashboard.view_programs", actor=manager).count() == 1


def test_the_program_page_shows_its_kpis(org, manager):
    program = build_program(org)
    client = client_for(manager)

    page = client.get(reverse("dashboard:program_detail", args=[program.pk])).content.decode()

    assert "Kip Three" in page and "67%" in page and "3.0 h" in page
    assert AuditEntry.objects.filter(action="program.view", target_id=str(program.pk)).exists()


def test_the_list_page_is_empty_for_a_new_workspace_and_says_what_to_do(manager):
    client = client_for(manager)

    assert "No programs yet" in client.get(reverse("dashboard:programs")).content.decode()


def _list_queries(client) -> tuple[int, int]:
    """(all queries, queries of the programs page itself: programs, KPIs). The navigation of
    base.html (other features) adds a few of its own, the same on every page."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard:programs")).status_code == 200
    own = [q["sql"] for q in queries.captured_queries if "mentoring_" in q["sql"]]
    return len(queries), len(own)


def test_the_list_page_costs_the_same_number_of_queries_for_one_or_many_programs(org, manager):
    build_program(org)
    client = client_for(manager)
    one = _list_queries(client)
    for _ in range(6):
        more = ProgramFactory(organization=org)
        EngagementFactory(organization=org, program=more, participants=[(mentor(org), M)])

    many = _list_queries(client)

    assert one == many
    # count + page of programs, then participants, engagements (with the first answers),
    # commitments, feedback
    assert many[1] == 6
