"""The directory search on PostgreSQL: the stored text of each member (migration
accounts 0006) and its workspace-leading trigram index give the same people as the
portable icontains, never anyone of another workspace."""

import pytest
from django.db import connection

from accounts.models import Membership, User
from accounts.selectors.profiles import TEXT_MATCH_SQL, directory_profiles
from accounts.services.profiles import expertise_set, profile_update
from accounts.services.skills import skill_create
from tests.factories import OrganizationFactory, member

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

PEOPLE = [
    ("Ada Lovelace", "Analytical engine", "Wrote the first program."),
    ("Brian Kernighan", "C and awk", "Unix 100% of the time."),
    ("Grace Hopper", "Compilers", "Found a moth_in the relay."),
    ("Linus Torvalds", "Kernels", ""),
    ("Margaret Hamilton", "", "Apollo flight software."),
]
TERMS = ["a", "e", "ra", "K8S", "kern", "100%", "moth_in", "_", "%", "apollo soft", "terraform", "zz"]


@pytest.fixture
def workspace():
    org = OrganizationFactory()
    terraform = skill_create(organization=org, name="Terraform", aliases=["tf"])
    kubernetes = skill_create(organization=org, name="Kubernetes", aliases=["k8s"])
    people = []
    for full_name, headline, bio in PEOPLE:
        user = member(org, full_name=full_name)
        profile_update(user=user, headline=headline, bio=bio)
        people.append(user)
    expertise_set(user=people[3], skill_id=kubernetes.pk, level=4)
    expertise_set(user=people[4], skill_id=terraform.pk, level=2)
    # another workspace whose people match every term: none of them may appear
    other = OrganizationFactory()
    their_skill = skill_create(organization=other, name="Kubernetes", aliases=["k8s", "terraform"])
    for full_name, headline, bio in PEOPLE:
        stranger = member(other, full_name=f"{full_name} elsewhere")
        profile_update(user=stranger, headline=f"{headline} zz ra e a", bio=f"{bio} 100% moth_in apollo soft")
        expertise_set(user=stranger, skill_id=their_skill.pk, level=5)
    return {"viewer": people[0], "people": people, "org": org}


def expected(viewer: User, q: str) -> list[str]:
    """The definition, in Python: every term is in the name, headline, bio or a skill
    name or alias of someone of the viewer's workspace (case-insensitive)."""
    org = viewer.membership.organization
    found = []
    members = Membership.objects.filter(organization=org, is_active=True).select_related("user__profile")
    for membership in members:
        user = membership.user
        skills = [
            text.upper()
            for expertise in user.expertise.select_related("skill").prefetch_related("skill__aliases")
            for text in [expertise.skill.name, *(alias.name for alias in expertise.skill.aliases.all())]
        ]
        fields = [user.full_name.upper(), user.profile.headline.upper(), user.profile.bio.upper(), *skills]
        if all(any(term.upper() in field for field in fields) for term in q.split()):
            found.append(user.full_name)
    return sorted(found)


def names(viewer: User, q: str) -> list[str]:
    return sorted(profile.user.full_name for profile in directory_profiles(viewer, q=q))


@pytest.mark.parametrize("q", TERMS)
def test_search_finds_exactly_the_workspaces_people_matching_every_term(workspace, q):
    viewer = workspace["viewer"]
    assert names(viewer, q) == expected(viewer, q)
    assert all("elsewhere" not in name for name in names(viewer, q))


def test_short_terms_and_like_wildcards_are_matched_literally(workspace):
    viewer = workspace["viewer"]
    assert names(viewer, "100%") == ["Brian Kernighan"]
    assert names(viewer, "moth_in") == ["Grace Hopper"]
    assert names(viewer, "%") == ["Brian Kernighan"]
    assert names(viewer, "k8s") == ["Linus Torvalds"]  # a skill alias
    assert names(viewer, "zz") == []  # only the other workspace's headlines hold it
    assert directory_profiles(viewer, q="a").count() == len(expected(viewer, "a"))


def test_the_stored_text_follows_names_headlines_bios_and_new_members(workspace):
    viewer, people, org = workspace["viewer"], workspace["people"], workspace["org"]
    profile_update(user=people[3], headline="Git")
    assert names(viewer, "git") == ["Linus Torvalds"]
    assert names(viewer, "kernels") == []
    User.objects.filter(pk=people[4].pk).update(full_name="Margaret H. Hamilton")
    assert names(viewer, "h.") == ["Margaret H. Hamilton"]
    newcomer = member(org, full_name="Dennis Ritchie")
    assert names(viewer, "ritchie") == ["Dennis Ritchie"]
    profile_update(user=newcomer, bio="Wrote C.")
    assert names(viewer, "wrote") == ["Ada Lovelace", "Dennis Ritchie"]
    Membership.objects.filter(user=newcomer).update(role=Membership.Role.TALENT_MANAGER)
    assert names(viewer, "ritchie") == ["Dennis Ritchie"]


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be scanned
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_text_match_reads_the_workspace_by_index(workspace):
    org = workspace["org"]
    plan = _plan(TEXT_MATCH_SQL, [org.pk, "%ovelac%", org.pk, "%ovelac%", "%ovelac%"])
    assert "Seq Scan on accounts_membership" not in plan
    assert "organization_id = " in plan.split("accounts_expertise")[0]  # an index condition
    assert "accounts_expertise_skill_id" in plan  # skill holders by the skill's index


def test_the_trigram_index_takes_the_workspace_and_the_text_together(workspace):
    # without the btree indexes on the workspace (dropped inside the test's transaction,
    # so rolled back after it) the GIN index answers both conditions by itself
    org = workspace["org"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_membership' "
            "AND indexdef LIKE '%%btree (organization_id%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
    plan = _plan(TEXT_MATCH_SQL, [org.pk, "%ovelac%", org.pk, "%ovelac%", "%ovelac%"])
    gin = plan.split("accounts_membership_search")[1].split("->")[0]
    assert "organization_id = " in gin
    assert "~~" in gin  # the LIKE, on the same index
