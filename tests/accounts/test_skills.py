import pytest

from accounts.models import Skill, SkillAlias
from accounts.selectors.profiles import skills_autocomplete
from accounts.services.skills import skill_alias_add, skill_create, skill_find, skill_get_or_create
from core.errors import ValidationFailed
from tests.factories import OrganizationFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def test_skill_is_created_with_a_slug_and_aliases(org):
    skill = skill_create(organization=org, name="  Kubernetes ", aliases=["k8s", "kube", "K8S"])
    assert skill.name == "Kubernetes"
    assert skill.slug == "kubernetes"
    assert sorted(skill.aliases.values_list("name", flat=True)) == ["k8s", "kube"]


def test_duplicate_name_is_rejected_case_insensitively(org):
    skill_create(organization=org, name="Terraform")
    with pytest.raises(ValidationFailed) as exc:
        skill_create(organization=org, name="terraform")
    assert "already in the taxonomy as Terraform" in exc.value.fields["name"][0]
    assert Skill.objects.count() == 1


def test_a_new_skill_cannot_take_an_existing_alias_as_its_name(org):
    skill_create(organization=org, name="Kubernetes", aliases=["k8s"])
    with pytest.raises(ValidationFailed) as exc:
        skill_create(organization=org, name="K8s")
    assert "Kubernetes" in exc.value.fields["name"][0]


def test_an_alias_cannot_repeat_another_skills_name_and_nothing_is_created(org):
    skill_create(organization=org, name="Python")
    with pytest.raises(ValidationFailed) as exc:
        skill_create(organization=org, name="Django", aliases=["python"])
    assert "aliases" in exc.value.fields
    assert not Skill.objects.filter(name="Django").exists()


def test_the_same_name_in_two_workspaces_is_two_skills(org):
    skill_create(organization=org, name="Go")
    skill_create(organization=OrganizationFactory(), name="Go")
    assert Skill.objects.filter(name="Go").count() == 2


def test_names_that_slugify_alike_get_distinct_slugs(org):
    first = skill_create(organization=org, name="C")
    second = skill_create(organization=org, name="C++")
    hashed = skill_create(organization=org, name="C#")
    assert len({first.slug, second.slug, hashed.slug}) == 3


@pytest.mark.parametrize(("name", "message"), [("   ", "Enter a skill name"), ("x" * 81, "at most 80")])
def test_empty_or_overlong_names_are_rejected(org, name, message):
    with pytest.raises(ValidationFailed) as exc:
        skill_create(organization=org, name=name)
    assert message in exc.value.fields["name"][0]


def test_alias_add_rejects_a_name_already_in_use(org):
    react = skill_create(organization=org, name="React", aliases=["ReactJS"])
    skill_create(organization=org, name="Vue")
    skill_alias_add(skill=react, name="React.js")
    with pytest.raises(ValidationFailed):
        skill_alias_add(skill=react, name="vue")
    with pytest.raises(ValidationFailed):
        skill_alias_add(skill=react, name="reactjs")
    assert SkillAlias.objects.filter(skill=react).count() == 2


def test_get_or_create_finds_by_name_or_alias_and_creates_only_when_nothing_matches(org):
    sql = skill_create(organization=org, name="PostgreSQL", aliases=["Postgres"])
    assert skill_get_or_create(organization=org, name="postgres") == (sql, False)
    assert skill_get_or_create(organization=org, name="POSTGRESQL") == (sql, False)
    created, was_created = skill_get_or_create(organization=org, name="Product discovery")
    assert was_created and created.organization == org
    assert skill_find(organization=org, name="product   discovery") == created


# --- autocomplete ---------------------------------------------------------------


def test_autocomplete_matches_names_and_aliases_case_insensitively():
    viewer = member()
    org = viewer.membership.organization
    kubernetes = skill_create(organization=org, name="Kubernetes", aliases=["k8s"])
    skill_create(organization=org, name="Terraform")
    assert skills_autocomplete(viewer, "K8") == [kubernetes]
    assert skills_autocomplete(viewer, "bern") == [kubernetes]


def test_autocomplete_puts_prefix_matches_first():
    viewer = member()
    org = viewer.membership.organization
    go = skill_create(organization=org, name="Go", aliases=["golang"])
    django = skill_create(organization=org, name="Django")
    mongo = skill_create(organization=org, name="MongoDB")
    assert skills_autocomplete(viewer, "go") == [go, django, mongo]


def test_autocomplete_never_shows_another_workspaces_skills():
    viewer = member()
    skill_create(organization=OrganizationFactory(), name="Secret Sauce", aliases=["sauce"])
    assert skills_autocomplete(viewer, "sauce") == []
    assert skills_autocomplete(viewer, "Secret") == []


def test_autocomplete_for_someone_without_a_workspace_is_empty():
    skill_create(organization=OrganizationFactory(), name="Python")
    assert skills_autocomplete(UserFactory(), "py") == []


def test_autocomplete_with_blank_query_returns_nothing_and_respects_the_limit():
    viewer = member()
    org = viewer.membership.organization
    for n in range(15):
        skill_create(organization=org, name=f"Skill {n:02d}")
    assert skills_autocomplete(viewer, "  ") == []
    assert len(skills_autocomplete(viewer, "skill")) == 10
    assert len(skills_autocomplete(viewer, "skill", limit=3)) == 3


def test_autocomplete_endpoint_returns_options_with_ids_and_aliases(client):
    viewer = member()
    org = viewer.membership.organization
    kubernetes = skill_create(organization=org, name="Kubernetes", aliases=["k8s", "kube"])
    skill_create(organization=OrganizationFactory(), name="Kubeflow")
    client.force_login(viewer)
    response = client.get("/skills/autocomplete/", {"exp-skill": "kub"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="Kubernetes" data-id="{kubernetes.pk}">also: k8s, kube</option>' in html
    assert "Kubeflow" not in html


def test_autocomplete_endpoint_needs_a_workspace(client):
    client.force_login(UserFactory())
    response = client.get("/skills/autocomplete/", {"q": "py"})
    assert response.status_code == 302
    assert response.url == "/workspace/start/"
