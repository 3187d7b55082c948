"""Uploading program participants from CSV: every kind of bad input gets a clear per-row
error and enrols nobody (all or nothing); a good file enrols everyone and says how many."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEntry
from core.errors import ValidationFailed
from mentoring.models import ProgramParticipant
from mentoring.programs import csv_import
from tests.clients import client_for
from tests.factories import member
from tests.mentoring.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return ProgramFactory(organization=org, name="Spring cohort")


@pytest.fixture
def people(org):
    return {
        "ana": member(org, email="ana@acme.example", full_name="Ana"),
        "ben": member(org, email="ben@acme.example", full_name="Ben"),
        "cy": member(org, email="cy@acme.example", full_name="Cy"),
    }


def upload(content: bytes | str, name="people.csv"):
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def errors_of(manager, program, content) -> list[str]:
    with pytest.raises(ValidationFailed) as error:
        csv_import.participants_import_csv(manager.membership, manager, program, upload(content))
    assert not ProgramParticipant.objects.filter(program=program).exists(), "nothing may be imported"
    assert error.value.message.startswith("Nothing was imported")
    return error.value.fields["file"]


def test_a_good_file_enrols_everyone_and_says_how_many(manager, program, people):
    content = "email,role\nana@acme.example,mentor\nBEN@acme.example , Seeker\n\ncy@acme.example,seeker\n"

    result = csv_import.participants_import_csv(manager.membership, manager, program, upload(content))

    assert (result.imported, result.mentors, result.seekers) == (3, 1, 2)
    assert set(ProgramParticipant.objects.values_list("user__email", "role")) == {
        ("ana@acme.example", "mentor"),
        ("ben@acme.example", "seeker"),
        ("cy@acme.example", "seeker"),
    }
    entry = AuditEntry.objects.get(action="program.participants_imported")
    assert entry.details == {"imported": 3, "mentors": 1, "seekers": 2}


def test_columns_may_come_in_any_order_and_a_utf8_bom_is_fine(manager, program, people):
    content = "\ufeffRole,Email\r\nmentor,ana@acme.example\r\n".encode()

    result = csv_import.participants_import_csv(manager.membership, manager, program, upload(content))

    assert result.imported == 1


def test_unknown_emails_and_members_of_other_workspaces_get_the_same_message(
    manager, program, people, other_org
):
    member(other_org, email="eve@other.example")
    content = "email,role\nana@acme.example,mentor\nnobody@acme.example,seeker\neve@other.example,seeker\n"

    errors = errors_of(manager, program, content)

    assert errors == [
        "row 3: no member with e-mail nobody@acme.example in this workspace.",
        "row 4: no member with e-mail eve@other.example in this workspace.",
    ]


def test_a_deactivated_member_is_unknown_too(manager, program, people):
    people["cy"].membership.is_active = False
    people["cy"].membership.save(update_fields=["is_active"])

    errors = errors_of(manager, program, "email,role\ncy@acme.example,seeker\n")

    assert errors == ["row 2: no member with e-mail cy@acme.example in this workspace."]


def test_duplicates_within_the_file_and_against_existing_participants(manager, program, people):
    ProgramParticipant.objects.create(program=program, user=people["cy"], role="mentor")
    content = (
        "email,role\nana@acme.example,mentor\nben@acme.example,seeker\n"
        "ANA@acme.example,seeker\ncy@acme.example,seeker\n"
    )

    with pytest.raises(ValidationFailed) as error:
        csv_import.participants_import_csv(manager.membership, manager, program, upload(content))

    assert error.value.fields["file"] == [
        "row 4: ana@acme.example is already on row 2.",
        "row 5: cy@acme.example is already in the program as mentor.",
    ]
    assert ProgramParticipant.objects.filter(program=program).count() == 1  # only the earlier row


@pytest.mark.parametrize(
    "header, expected",
    [
        ("email", "row 1: the header lacks the column(s) role."),
        ("mail,role", "row 1: the header lacks the column(s) email."),
        ("email,role,team", "row 1: unexpected column(s) 'team'."),
        ("email,email,role", "row 1: the column(s) email appear twice."),
        ("ana@acme.example,mentor", "row 1: the header lacks the column(s) email, role."),
    ],
)
def test_wrong_or_missing_columns_are_named(manager, program, people, header, expected):
    errors = errors_of(manager, program, f"{header}\nana@acme.example,mentor\n")

    assert errors[0] == expected
    assert errors[-1] == "The header must be exactly: email,role"


def test_bad_roles_bad_emails_and_short_rows_are_listed_per_row(manager, program, people):
    content = (
        "email,role\nana@acme.example,boss\nnot-an-email,mentor\n"
        "ben@acme.example\ncy@acme.example,seeker,extra\n"
    )

    errors = errors_of(manager, program, content)

    assert errors == [
        "row 2: the role must be mentor or seeker, not “boss”.",
        "row 3: “not-an-email” is not an e-mail address.",
        "row 4: expected 2 values (email,role), found 1.",
        "row 5: expected 2 values (email,role), found 3.",
    ]


def test_one_bad_row_among_many_good_ones_imports_nothing(manager, program, org):
    good = [member(org, email=f"p{i}@acme.example") for i in range(30)]
    lines = ["email,role"] + [f"{u.email},seeker" for u in good]
    lines.insert(7, "x@y.example,seeker")  # becomes row 8

    errors = errors_of(manager, program, "\n".join(lines))

    assert errors == ["row 8: no member with e-mail x@y.example in this workspace."]


def test_too_many_rows_is_refused(manager, program):
    content = "email,role\n" + "".join(
        f"p{i}@acme.example,seeker\n" for i in range(csv_import.CSV_MAX_ROWS + 1)
    )

    errors = errors_of(manager, program, content)

    assert errors == [
        f"The file has more than {csv_import.CSV_MAX_ROWS:,} rows. Split it into smaller files."
    ]


def test_a_file_over_the_size_limit_is_refused_before_reading(manager, program):
    junk = b"email,role\n" + b"a" * (csv_import.CSV_MAX_BYTES + 10)

    errors = errors_of(manager, program, junk)

    assert "the limit is 1,000,000" in errors[0]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file"),
        (b"email,role\nj\xe9r\xf4me@acme.example,mentor\n", "not UTF-8 text"),
        (b"", "The file is empty"),
        (b"   \n\n", "The file is empty"),
        (b"email,role\n", "has a header but no rows"),
    ],
)
def test_binary_junk_other_encodings_and_empty_files_are_refused(manager, program, content, expected):
    errors = errors_of(manager, program, content)

    assert expected in errors[0]


def test_megabytes_of_random_junk_are_refused_with_a_clear_message(manager, program):
    import random

    junk = bytes(random.Random(7).getrandbits(8) for _ in range(2_000_000))

    errors = errors_of(manager, program, junk)

    assert "the limit is 1,000,000" in errors[0]


def test_many_errors_are_capped_with_a_count_of_the_rest(manager, program):
    content = "email,role\n" + "".join(f"ghost{i}@acme.example,seeker\n" for i in range(80))

    errors = errors_of(manager, program, content)

    assert len(errors) == csv_import.CSV_MAX_ERRORS_SHOWN + 1
    assert errors[-1] == "… and 30 more problem(s)."


# --- the page ---------------------------------------------------------------------------------------


def test_the_upload_page_imports_and_redirects_with_the_count(manager, program, people):
    client = client_for(manager)
    url = reverse("dashboard:program_participants_upload", args=[program.pk])

    response = client.post(
        url, {"file": upload("email,role\nana@acme.example,mentor\nben@acme.example,seeker\n")}, follow=True
    )

    assert "Imported 2 participant(s): 1 mentor(s) and 1 seeker(s)." in response.content.decode()
    assert ProgramParticipant.objects.filter(program=program).count() == 2


def test_the_upload_page_lists_the_row_errors_with_a_400(manager, program, people):
    client = client_for(manager)
    url = reverse("dashboard:program_participants_upload", args=[program.pk])

    response = client.post(url, {"file": upload("email,role\nana@acme.example,mentor\nx@y.example,seeker\n")})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported" in page
    assert "row 3: no member with e-mail x@y.example in this workspace." in page
    assert not ProgramParticipant.objects.exists()
    assert not AuditEntry.objects.filter(action="program.participants_imported").exists()


def test_posting_without_a_file_is_a_400(manager, program):
    client = client_for(manager)

    response = client.post(reverse("dashboard:program_participants_upload", args=[program.pk]), {})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_html_in_a_bad_cell_is_escaped_on_the_page(manager, program):
    client = client_for(manager)

    response = client.post(
        reverse("dashboard:program_participants_upload", args=[program.pk]),
        {"file": upload("email,role\n<script>alert(1)</script>,mentor\n")},
    )

    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
