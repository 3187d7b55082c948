"""Issue 6's journey in a real browser: a talent manager opens the overview (charts drawn),
drills into a skill gap, creates a program, uploads its participants from a CSV file
(a bad file first: per-row errors, nothing imported), runs bulk matching, moves a seeker
to another mentor, publishes — and the participants, in their own browsers, see their
engagements. axe on every page, no console errors (CSP stays on)."""

import re

from playwright.sync_api import expect

from accounts.models import AuditEntry
from mentoring.models import CohortDraft, Engagement, Participant, ProgramParticipant
from tests.browser.login import log_in_through_form
from tests.dashboard.test_overview import build_workspace
from tests.factories import ExpertiseFactory, LearningGoalFactory, SkillFactory, member, talent_manager
from tests.mentoring.factories import mentor

BAD_REQUEST = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


def expect_refused(page):
    """The page was the server's 400 answer to a bad form (as intended); nothing else went wrong."""
    assert page.problems.messages == [BAD_REQUEST]
    page.problems.messages.clear()


def test_a_manager_matches_a_cohort_from_the_dashboard_and_the_people_see_their_engagements(
    new_person, axe_check, tmp_path
):
    manager = talent_manager(full_name="Tina Manager")
    org = manager.membership.organization
    build_workspace(org)
    # a skill with more seekers than mentors can take: the gap the manager drills into
    terraform = SkillFactory(organization=org, name="Terraform")
    ana = mentor(org, full_name="Ana Mentor", email="ana@acme.example", capacity=2)
    ben = mentor(org, full_name="Ben Mentor", email="ben@acme.example", capacity=2)
    ExpertiseFactory(user=ana, skill=terraform, level=5)
    ExpertiseFactory(user=ben, skill=terraform, level=2)
    sol = member(org, full_name="Sol Seeker", email="sol@acme.example")
    sid = member(org, full_name="Sid Seeker", email="sid@acme.example")
    extra = [member(org, full_name=f"Learner {i}", email=f"learner{i}@acme.example") for i in range(4)]
    for person in (sol, sid, *extra):
        LearningGoalFactory(user=person, skill=terraform)

    page = new_person()
    log_in_through_form(page, manager.email)

    # the overview with its charts drawn
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    page.locator("#id_period").select_option("custom")
    page.locator("#id_start").fill("2026-06-01")
    page.locator("#id_end").fill("2026-06-30")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#figure-new_requests .dashboard-value")).to_have_text("3")
    for chart in ("chart-activity", "chart-kinds", "chart-trust"):
        canvas = page.locator(f"#{chart}")
        expect(canvas).to_have_attribute("data-rendered", "true")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
    axe_check(page)

    # drill into the skill gap
    # (the overview has no section navigation yet: the skills page is opened by its address)
    page.goto("/manage/skills/")
    expect(page.get_by_role("heading", name="Skills supply and demand", level=1)).to_be_visible()
    axe_check(page)
    page.locator(f"#skill-{terraform.pk}").get_by_role("link", name="Terraform").click()
    expect(page.get_by_role("heading", name="Terraform", level=1)).to_be_visible()
    expect(page.locator("#figure-seekers")).to_have_text("6")
    axe_check(page)

    # create a program
    page.get_by_role("navigation", name="Dashboard sections").get_by_role("link", name="Programs").click()
    expect(page.get_by_role("heading", name="Programs", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="New program").click()
    axe_check(page)
    page.get_by_label("Name").fill("Terraform guild")
    page.get_by_role("combobox", name=re.compile("^Kind")).select_option("situational")
    page.get_by_label("Starts on").fill("2026-12-01")
    page.get_by_label("Ends on").fill("2026-11-01")
    page.get_by_label("Default engagement duration (days)").fill("21")
    page.get_by_role("button", name="Create program").click()
    expect(page.get_by_role("alert").first).to_contain_text("The program was not saved")
    expect(page.locator("main")).to_contain_text("cannot end before it starts")
    axe_check(page)
    expect_refused(page)
    page.get_by_label("Ends on").fill("2027-02-28")
    page.get_by_role("button", name="Create program").click()
    expect(page.get_by_role("heading", name="Terraform guild", level=1)).to_be_visible()
    axe_check(page)

    # upload participants: a bad file first (nothing imported), then the good one
    page.get_by_role("link", name="Upload participants from a CSV file").click()
    axe_check(page)
    bad = tmp_path / "bad.csv"
    bad.write_text("email,role\nana@acme.example,mentor\nghost@acme.example,seeker\nsol@acme.example,boss\n")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    errors = page.locator("#upload-errors")
    expect(errors).to_contain_text("row 3: no member with e-mail ghost@acme.example in this workspace.")
    expect(errors).to_contain_text("row 4: the role must be mentor or seeker, not “boss”.")
    axe_check(page)
    expect_refused(page)
    assert not ProgramParticipant.objects.exists()
    good = tmp_path / "good.csv"
    good.write_text(
        "email,role\nana@acme.example,mentor\nben@acme.example,mentor\nsol@acme.example,seeker\nsid@acme.example,seeker\n"
    )
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check and import").click()
    expect(page.locator(".flash-messages")).to_contain_text(
        "Imported 4 participant(s): 2 mentor(s) and 2 seeker(s)."
    )
    expect(page.locator("#kpi-participants .dashboard-value")).to_have_text("4")

    # bulk matching: the optimal draft gives both seekers to Ana (level 5)
    page.get_by_role("navigation", name="Program").get_by_role("link", name="Bulk matching").click()
    axe_check(page)
    page.get_by_role("button", name="Run bulk matching").click()
    pairs = page.locator("#pairs > tbody > tr")
    expect(pairs).to_have_count(2)
    expect(page.locator(f'#pairs tr[data-seeker="{sid.pk}"]')).to_contain_text("Ana Mentor")
    expect(page.locator("#row-greedy")).to_be_visible()
    page.locator(f'#pairs tr[data-seeker="{sid.pk}"] summary').click()
    expect(page.locator(f'#pairs tr[data-seeker="{sid.pk}"]')).to_contain_text("Skill fit")
    axe_check(page)

    # adjust: Sid goes to Ben
    page.get_by_role("combobox", name=re.compile("^Seeker")).first.select_option(str(sid.pk))
    page.get_by_role("combobox", name=re.compile("^New mentor")).select_option(str(ben.pk))
    page.get_by_role("button", name="Reassign").click()
    expect(page.locator(".flash-messages")).to_contain_text("Draft updated.")
    expect(page.locator(f'#pairs tr[data-seeker="{sid.pk}"]')).to_contain_text("Ben Mentor")
    expect(page.locator("#row-draft")).to_be_visible()
    axe_check(page)

    # publish
    page.get_by_role("button", name="Publish 2 engagements").click()
    expect(page.get_by_role("heading", name="Cohort published: Terraform guild", level=1)).to_be_visible()
    expect(page.locator("#publish-result")).to_contain_text("2 engagements started")
    expect(page.locator("#publish-result")).to_contain_text("4 people were notified")
    axe_check(page)
    page.problems.assert_none()

    engagements = Engagement.objects.filter(program__name="Terraform guild")
    assert engagements.count() == 2
    assert set(Participant.objects.filter(engagement__in=engagements).values_list("user_id", "role")) == {
        (sol.pk, "seeker"),
        (ana.pk, "mentor"),
        (sid.pk, "seeker"),
        (ben.pk, "mentor"),
    }
    assert CohortDraft.objects.get().adjustments == 1
    actions = set(AuditEntry.objects.filter(actor=manager).values_list("action", flat=True))
    assert {"program.created", "program.participants_imported", "program.cohort_run"} <= actions
    assert {"program.cohort_reassigned", "program.cohort_published"} <= actions

    # the people see their engagements, each in their own browser
    for person, partner in ((sid, "Ben Mentor"), (ben, "Sid Seeker"), (sol, "Ana Mentor")):
        their_page = new_person()
        log_in_through_form(their_page, person.email)
        their_page.goto("/engagements/")
        main = their_page.locator("main")
        expect(main).to_contain_text("Terraform guild")
        their_page.get_by_role("link", name=re.compile("Terraform guild")).first.click()
        expect(their_page.locator("main")).to_contain_text(partner)
        axe_check(their_page)
        their_page.problems.assert_none()
