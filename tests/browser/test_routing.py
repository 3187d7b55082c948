"""Ask the network, live, in a real browser: Asha asks the whole network; the
routing picks Hugo (expert in the skill, working now, online) for wave 1; the
question arrives on his bell and in his "Questions for you" while he watches;
he starts typing and Asha's page says so; he answers and Asha sees the answer
and the progress change without reloading, then accepts it."""

import re
import time

from playwright.sync_api import expect

from accounts.models import Expertise
from messaging.models import Answer, Question, RoutingAttempt
from messaging.qa import services as qa
from messaging.routing import waves
from messaging.sockets import presence
from tests.browser.login import log_in_through_form
from tests.factories import OrganizationFactory, SkillFactory, member

TITLE = "How do I pin a Terraform provider?"
ONLINE_WAIT_SECONDS = 30
BAD_REQUEST = "Failed to load resource: the server responded with a status of 400 (Bad Request)"


def wait_until_online(user):
    """Hugo's page has its socket open (presence is what the ranking reads)."""
    deadline = time.monotonic() + ONLINE_WAIT_SECONDS
    while presence.presence_of([user.pk])[user.pk]["state"] != presence.ONLINE:
        assert time.monotonic() < deadline, f"{user} never came online"
        time.sleep(0.05)


def colleague(organization, skill, *, level, working: bool, **user_kwargs):
    user = member(organization, **user_kwargs)
    Expertise.objects.create(user=user, skill=skill, level=level)
    profile = user.profile
    profile.utc_week_mask = ("f" if working else "0") * 42
    profile.save(update_fields=["utc_week_mask"])
    return user


def test_a_network_question_is_routed_typed_answered_and_accepted_live(new_person, axe_check):
    organization = OrganizationFactory()
    asker = member(organization, full_name="Asha Asker")
    skill = SkillFactory(organization=organization, name="Terraform")
    hugo_user = colleague(organization, skill, level=5, working=True, full_name="Hugo Helper")
    # three weaker colleagues without working hours and offline: Hugo must rank first (they
    # are close enough to his score to join his wave: a wave holds nobody far below its best)
    for name in ("Pia Part-time", "Ole Offline", "Nina Newbie"):
        colleague(organization, skill, level=4, working=False, full_name=name)

    # Hugo is online, watching his (empty) inbox
    hugo = new_person()
    log_in_through_form(hugo, hugo_user.email)
    hugo.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^For you")).click()
    expect(hugo.get_by_role("heading", level=1)).to_have_text("Questions for you")
    expect(hugo.get_by_text("No questions for you yet.")).to_be_visible()
    axe_check(hugo)
    wait_until_online(hugo_user)

    # Asha asks the whole network
    asha = new_person()
    log_in_through_form(asha, asker.email)
    asha.goto("/questions/ask/")
    asha.get_by_label("Your question in one line").fill(TITLE)
    asha.get_by_label("Details").fill("Which **syntax** is right for `required_providers`?")
    asha.get_by_label("Who should see it?").select_option("network")
    asha.get_by_label("Skill (optional):", exact=True).fill("Terraform")
    asha.get_by_role("button", name="Post the question").click()
    expect(asha.get_by_role("heading", level=1)).to_have_text(TITLE)
    question = Question.objects.get()

    # wave 1 went to three people, Hugo first; Asha sees who was asked
    first_wave = list(RoutingAttempt.objects.filter(question=question).order_by("rank"))
    assert len(first_wave) == 3 and first_wave[0].candidate == hugo_user and first_wave[0].wave == 1
    progress = asha.locator("[data-routing-progress]")
    summary = progress.locator("[data-routing-summary]")
    expect(summary).to_contain_text("Sent to 3 people")
    expect(summary).to_contain_text(re.compile(r"next wave in \d+ min"))
    expect(progress).to_contain_text("Hugo Helper")
    axe_check(asha)

    # the question arrives live on Hugo's bell, badge and inbox
    bell = hugo.locator("[data-notification-bell]")
    expect(bell.locator("[data-notification-number]")).to_have_text("1")
    expect(hugo.locator("[data-routed-number]")).to_have_text("1")
    expect(hugo.locator("[data-routed-live]")).to_have_text(re.compile("New question for you"))
    hugo.get_by_role("link", name=TITLE, exact=True).click()
    expect(hugo.get_by_role("heading", name="You were asked to answer this")).to_be_visible()

    # Hugo starts typing: Asha's page says so
    box = hugo.get_by_label("Your answer")
    box.press_sequentially("Use `required_providers`", delay=20)
    expect(summary).to_contain_text("1 is typing an answer")

    # he answers; Asha sees the answer and the progress without reloading
    box.fill("Use `required_providers` with a `~>` version constraint.")
    hugo.get_by_role("button", name="Post the answer").click()
    expect(hugo.locator("#answers")).to_contain_text("required_providers")
    answers = asha.locator("#answers")
    expect(answers).to_contain_text("version constraint")
    expect(summary).to_contain_text("1 answered")
    expect(progress).to_contain_text("Answered in time")
    axe_check(asha)

    # and accepts it
    asha.get_by_role("button", name=re.compile("^Accept")).click()
    expect(asha.get_by_text("Accepted answer")).to_be_visible()
    answer = Answer.objects.get()
    assert answer.accepted and answer.author == hugo_user
    attempt = RoutingAttempt.objects.get(question=question, candidate=hugo_user)
    assert attempt.outcome == RoutingAttempt.Outcome.ANSWERED and attempt.answer == answer
    # Hugo's inbox shows it answered, nothing pending
    hugo.goto("/questions/for-you/")
    expect(hugo.locator(".routed-item").first).to_contain_text("Answered in time")
    expect(hugo.locator("[data-routed-count]")).to_be_hidden()
    axe_check(hugo)
    asha.problems.assert_none()
    hugo.problems.assert_none()


def test_a_candidate_refers_a_colleague_with_the_picker_and_the_colleague_gets_it_live(new_person, axe_check):
    organization = OrganizationFactory()
    asker = member(organization, full_name="Asha Asker")
    skill = SkillFactory(organization=organization, name="Terraform")
    hugo_user = colleague(organization, skill, level=5, working=True, full_name="Hugo Helper")
    carla_user = member(organization, full_name="Carla Cloud")
    carla_user.profile.headline = "Platform engineer"
    carla_user.profile.save(update_fields=["headline"])

    carla = new_person()
    log_in_through_form(carla, carla_user.email)
    carla.goto("/questions/for-you/")
    expect(carla.get_by_text("No questions for you yet.")).to_be_visible()

    question = qa.question_ask(
        author=asker, title=TITLE, body="Which syntax?", scope="network", skill_ids=[skill.pk]
    )
    waves.routing_start(question)  # (a no-op if the on-commit start already ran)
    assert RoutingAttempt.objects.get(question=question).candidate == hugo_user

    hugo = new_person()
    log_in_through_form(hugo, hugo_user.email)
    hugo.goto("/questions/for-you/")
    hugo.get_by_role("link", name=re.compile("^Refer someone")).click()
    expect(hugo.get_by_role("heading", level=1)).to_have_text("Refer someone")
    axe_check(hugo)
    picker = hugo.get_by_label("Who knows this better?")
    # a name nobody has: the error names the field and what to do
    picker.fill("Nobody Atall")
    hugo.get_by_role("button", name="Refer").click()
    expect(hugo.get_by_text("Nobody called “Nobody Atall” is in your workspace")).to_be_visible()
    axe_check(hugo)
    # the refused form comes back with 400, which the browser logs; nothing else may
    assert hugo.problems.messages == [BAD_REQUEST]
    hugo.problems.messages.clear()
    # the picker suggests colleagues from the directory; picking one fills the hidden id
    picker = hugo.get_by_label("Who knows this better?")
    picker.fill("")
    picker.press_sequentially("Carl", delay=30)
    expect(hugo.locator("#refer-people-options option[value='Carla Cloud']")).to_have_count(1)
    picker.fill("Carla Cloud")
    expect(hugo.locator("input[data-person-id]")).to_have_value(str(carla_user.pk))
    hugo.get_by_role("button", name="Refer").click()
    expect(hugo.get_by_text("We asked Carla Cloud to look at it.")).to_be_visible()
    expect(hugo.locator(".routed-item").first).to_contain_text("Referred someone")

    # Carla, watching her inbox, gets it without reloading
    expect(carla.get_by_role("link", name=TITLE, exact=True)).to_be_visible()
    expect(carla.locator(".routed-item").first).to_contain_text("Hugo Helper thought of you")
    expect(carla.locator("[data-routed-number]")).to_have_text("1")
    axe_check(carla)
    assert RoutingAttempt.objects.get(question=question, candidate=carla_user).referred_by == hugo_user
    hugo.problems.assert_none()
    carla.problems.assert_none()
