"""Routing by meaning: skills inferred from names and aliases (short ones too) and from
meaning, expertise vectors from answered questions, the fallback without the model,
the pinned weights, and the cap and working hours (accounts.skill_inference,
core.embeddings, messaging.routing.profiles, messaging.routing.ranking)."""

import shutil

import pytest

from accounts import skill_inference
from accounts.models import SkillAlias
from core import clock, embeddings
from messaging.models import ExpertiseVector, Notification, QuestionVector, RoutingAttempt
from messaging.qa import services as qa
from messaging.routing import waves
from tests.factories import SkillFactory
from tests.messaging.routing.test_routing import MONDAY_10, ask, asked, person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]

needs_model = pytest.mark.skipif(not embeddings.available(), reason="the embedding model is not installed")


@pytest.fixture
def without_model(monkeypatch):
    monkeypatch.setenv("TANDEM_EMBEDDINGS", "0")
    skill_inference._cache.clear()
    yield
    skill_inference._cache.clear()


@pytest.fixture
def taxonomy(org):
    """Skills with the short aliases people actually write."""
    skills = {}
    for name, aliases in {
        "Kubernetes": ["k8s"],
        "Terraform": ["tf"],
        "TypeScript": ["ts"],
        "Golang": ["Go"],
        "PostgreSQL": ["psql", "postgres"],
        "C#": [],
    }.items():
        skill = SkillFactory(organization=org, name=name)
        for alias in aliases:
            SkillAlias.objects.create(organization=org, skill=skill, name=alias)
        skills[name] = skill
    return skills


def inferred(org, text) -> list[str]:
    return [s.name for s in skill_inference.infer(org.pk, text)]


# --- inference ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "skill"),
    [
        ("my k8s pods keep restarting", "Kubernetes"),
        ("tf plan wants to recreate the bucket", "Terraform"),
        ("ts complains about an implicit any", "TypeScript"),
        ("Go channels deadlock in my worker pool", "Golang"),
        ("my psql query is slow", "PostgreSQL"),
        ("a C# record with init-only setters", "C#"),
    ],
)
def test_aliases_and_short_tokens_name_the_skill_without_the_model(org, taxonomy, without_model, text, skill):
    assert inferred(org, text)[:1] == [skill]


def test_a_short_alias_that_is_an_everyday_word_needs_to_be_written_as_the_alias(
    org, taxonomy, without_model
):
    assert "Golang" not in inferred(org, "where do I go from here with my career?")
    assert "Golang" in inferred(org, "Go modules: replace a dependency with a fork")


@needs_model
def test_a_question_that_names_no_skill_is_understood_by_meaning(org, taxonomy):
    names = inferred(
        org, "the container orchestration cluster restarts my pods after every deployment rollout"
    )

    assert names and names[0] == "Kubernetes"


def test_skills_are_inferred_only_from_the_askers_workspace(org, other_org, taxonomy, without_model):
    SkillFactory(organization=other_org, name="Rust")

    assert inferred(org, "a Rust borrow checker error") == []


# --- routing by track record and meaning ---------------------------------------------------


@needs_model
def test_a_paraphrased_question_reaches_the_person_who_answered_a_similar_one(org, commit):
    # given: two people who declare nothing; one answered a question about slow joins well
    asker = person(org)
    solver = person(org)
    bystander = person(org, headline="Loves whiteboards and team rituals")
    with commit():
        earlier = ask(
            asker,
            title="Join of two large tables is very slow",
            body="The SQL planner picks a sequential scan although the column has an index.",
        )
        answer = qa.answer_post(
            author=solver, question_id=earlier.pk, body="Analyze the table; check the plan."
        )
        qa.answer_accept(actor=asker, answer_id=answer.pk)
    assert ExpertiseVector.objects.filter(organization=org, user=solver, answered_well=1).exists()

    # when: the same problem comes back, worded differently and without a tag
    question = ask(
        person(org),
        title="database query got slow, index not used",
        body="Joining the orders table with customers takes minutes; the query plan shows a seq scan.",
    )
    ranked = waves.rank_candidates(question)

    # then
    assert ranked and ranked[0].user_id == solver.pk
    assert ranked[0].breakdown["similar_answered"] == 1
    assert (
        ranked[0].breakdown["reasons"][0] == "you answered 1 question like this; 1 accepted or found helpful"
    )
    assert bystander.pk not in [c.user_id for c in ranked[:1]]
    assert QuestionVector.objects.filter(question=question).exists()


@needs_model
def test_the_person_notified_is_told_why_they_were_picked(org, taxonomy, commit):
    asker = person(org)
    expert = person(org, skills=[taxonomy["Kubernetes"]], level=5)

    with commit():
        ask(asker, title="k8s pods keep restarting", body="CrashLoopBackOff after the rollout.")

    body = Notification.objects.get(recipient=expert, kind="question.routed").body
    assert body.startswith("Why you: You list Kubernetes (level 5)")


def test_without_the_model_an_alias_only_question_reaches_the_skill_holder(
    org, taxonomy, without_model, commit
):
    asker = person(org)
    holder = person(org, skills=[taxonomy["PostgreSQL"]], level=3)
    other = person(org, skills=[taxonomy["Terraform"]], level=5)

    with commit():
        question = ask(asker, title="my psql query is slow", body="It takes a minute since Friday.")

    assert asked(question) == [holder.pk]
    assert other.pk not in asked(question)
    attempt = RoutingAttempt.objects.get(question=question)
    assert attempt.breakdown["skills"] == ["PostgreSQL"] and attempt.breakdown["skills_inferred"] is True
    assert not QuestionVector.objects.filter(question=question).exists()  # no model: no vector


# --- the pinned weights ----------------------------------------------------------------------


@needs_model
def test_the_installed_weights_are_the_pinned_ones():
    folder = embeddings.model_dir()

    assert embeddings.sha256_of(folder / "model.safetensors") == embeddings.WEIGHTS_SHA256
    vectors = embeddings.embed(["my psql query is slow", "PostgreSQL query performance", "React hooks"])
    assert vectors.shape == (3, embeddings.DIMENSIONS)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])


@needs_model
def test_the_fast_gelu_gives_the_vectors_of_the_exact_one(monkeypatch):
    texts = ["my psql query is slow", "PostgreSQL query performance", "React hooks re-render in a loop"]
    fast = embeddings.embed(texts)
    monkeypatch.setattr(embeddings, "_gelu", embeddings._gelu_exact)
    exact = embeddings.embed(texts)
    assert float((fast * exact).sum(axis=1).min()) > 0.99999
    assert float(abs(fast @ fast.T - exact @ exact.T).max()) < 1e-3


@needs_model
def test_a_loaded_model_leaves_the_process_one_blas_thread():
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):  # as numpy starts on a 2-core machine
        embeddings.reset()
        embeddings.encoder()
        assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}
    embeddings.reset()
    embeddings.encoder()


@needs_model
def test_weights_that_do_not_match_the_pinned_hash_are_refused(tmp_path, monkeypatch):
    folder = embeddings.model_dir()
    shutil.copy(folder / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "model.safetensors").write_bytes(b"not the weights we pinned")
    monkeypatch.setenv("TANDEM_EMBEDDING_MODEL_DIR", str(tmp_path))
    embeddings.reset()
    try:
        with pytest.raises(embeddings.ModelUnavailable, match="sha256"):
            embeddings.encoder()
        assert embeddings.available() is False
    finally:
        monkeypatch.delenv("TANDEM_EMBEDDING_MODEL_DIR")
        embeddings.reset()
    assert embeddings.available() is True


def test_a_missing_model_package_means_the_fallback_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_EMBEDDING_MODEL_DIR", str(tmp_path / "nowhere"))
    embeddings.reset()
    try:
        assert embeddings.available() is False
        with pytest.raises(embeddings.ModelUnavailable, match="missing"):
            embeddings.embed(["anything"])
    finally:
        monkeypatch.delenv("TANDEM_EMBEDDING_MODEL_DIR")
        embeddings.reset()


# --- availability soon, the cap and working hours --------------------------------------------


def _hours_starting_in(minutes_from_now: int) -> list[dict]:
    """Working hours (UTC zone) that start ``minutes_from_now`` after Monday 10:00 UTC."""
    start = (MONDAY_10.hour * 60 + minutes_from_now) // 60
    return [{"day": d, "start": f"{start:02d}:00", "end": f"{start + 6:02d}:00"} for d in range(5)]


def test_an_expert_who_starts_work_soon_beats_a_weak_person_free_now_but_not_one_off_for_hours(
    org, taxonomy, without_model
):
    asker = person(org)
    weak_now = person(org, skills=[taxonomy["Terraform"]], level=1)
    expert_soon = person(org, skills=[taxonomy["Terraform"]], level=5, hours=_hours_starting_in(60))
    question = ask(asker, [taxonomy["Terraform"]])

    ranked = waves.rank_candidates(question)
    assert [c.user_id for c in ranked] == [expert_soon.pk, weak_now.pk]  # starts at 11:00: 60 minutes
    assert ranked[0].breakdown["working_now"] is False and ranked[0].breakdown["starts_in_minutes"] == 60

    with clock.travel_to(MONDAY_10.replace(hour=17, minute=30)):  # 17:30: the expert's next start is tomorrow
        late = ask(asker, [taxonomy["Terraform"]])
        person_late = person(
            org, skills=[taxonomy["Terraform"]], level=1, hours=[{"day": 0, "start": "17:00", "end": "20:00"}]
        )
        ranked = waves.rank_candidates(late)
    assert ranked[0].user_id == person_late.pk
    assert weak_now.pk not in [c.user_id for c in ranked[:1]]


def test_routing_never_asks_anyone_beyond_the_daily_cap(org, taxonomy, settings, commit, without_model):
    settings.ROUTING_DAILY_CAP = 2
    settings.ROUTING_WAVE_SIZE = 2
    experts = [person(org, skills=[taxonomy["Terraform"]], level=5) for _ in range(3)]
    asker = person(org)

    with commit():
        questions = [ask(asker, [taxonomy["Terraform"]], title=f"tf question {i}") for i in range(4)]

    per_person = {e.pk: RoutingAttempt.objects.filter(candidate=e).count() for e in experts}
    assert max(per_person.values()) <= 2
    assert sum(per_person.values()) == 6  # three people, two each: the fourth question finds nobody
    assert RoutingAttempt.objects.filter(question=questions[3]).count() == 0


# --- before asking: inferred skills and questions solved before -----------------------------


def test_the_ask_form_check_fills_in_the_inferred_skills_and_posts_nothing(
    org, taxonomy, client, without_model
):
    asker = person(org)
    client.force_login(asker)

    response = client.post(
        "/questions/ask/",
        {
            "title": "my k8s pods keep restarting",
            "body": "CrashLoopBackOff.",
            "where": "network",
            "check": "1",
        },
    )

    assert response.status_code == 200
    assert response.context["form"]["primary_skill"].value() == "Kubernetes"
    assert "Kubernetes</strong> (names “k8s”)" in response.content.decode()
    assert not qa.Question.objects.filter(author=asker).exists()


def test_the_preview_api_shows_skills_and_who_answered_a_similar_question(org, taxonomy, client, commit):
    asker, solver = person(org), person(org, full_name="Sol Ver")
    with commit():
        earlier = ask(asker, title="Pods restart in a loop after rollout", body="CrashLoopBackOff on k8s.")
        answer = qa.answer_post(author=solver, question_id=earlier.pk, body="Read the previous logs.")
        qa.answer_accept(actor=asker, answer_id=answer.pk)
    client.force_login(person(org))

    response = client.post(
        "/api/questions/preview",
        {"title": "k8s pods keep restarting", "body": "The container crashes after every deploy."},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["skills"][0]["name"] == "Kubernetes"
    assert body["solved_before"][0]["question"]["id"] == earlier.pk
    assert body["solved_before"][0]["answerers"] == [{"id": solver.pk, "name": "Sol Ver", "accepted": True}]


def test_the_preview_never_shows_questions_of_another_workspace(org, other_org, taxonomy, client, commit):
    stranger = person(other_org)
    with commit():
        theirs = ask(stranger, title="k8s pods keep restarting", body="CrashLoopBackOff.")
        qa.answer_post(author=person(other_org), question_id=theirs.pk, body="Logs.")
    client.force_login(person(org))

    response = client.post(
        "/api/questions/preview", {"title": "k8s pods keep restarting"}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["solved_before"] == []
