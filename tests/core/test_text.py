"""Display names, headlines and skill names are NFKC-normalised; control, bidi and
zero-width characters are refused with a field error (forms and API alike); CSV
cells that a spreadsheet would run as formulas are defused, fullwidth and
space-prefixed ones included."""

import pytest
from django.urls import reverse

from accounts.models import Skill
from core.csv_stream import csv_cell
from core.text import clean_display_text
from tests.clients import api_client_for, client_for
from tests.factories import member, talent_manager

SPOOFS = {
    "bidi override": "Ana \u202egnp.exe",
    "zero-width space": "A\u200bna",
    "bell": "Ana\x07",
    "bidi isolate": "\u2066Ana\u2069",
    "byte order mark": "\ufeffAna",
}


@pytest.mark.parametrize("text", list(SPOOFS.values()), ids=list(SPOOFS))
def test_spoofing_characters_are_refused_with_the_character_named(text):
    _, problem = clean_display_text(text)

    assert problem and "U+" in problem


def test_text_is_nfkc_normalised_and_joiners_inside_words_are_kept():
    assert clean_display_text("\uff21\uff4e\uff41  Mentor")[0] == "Ana Mentor"  # fullwidth
    assert clean_display_text("Jose\u0301")[0] == "Jos\u00e9"  # decomposed é composed
    assert clean_display_text("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        None,
    )  # Persian ZWNJ inside a word


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["full_name", "headline"])
@pytest.mark.parametrize("text", list(SPOOFS.values()), ids=list(SPOOFS))
def test_the_api_refuses_spoofing_characters_in_names_and_headlines(field, text):
    user = member(full_name="Ana Mentor")

    response = api_client_for(user).patch("/api/me", {field: text}, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.full_name == "Ana Mentor"


@pytest.mark.django_db
def test_the_profile_form_shows_a_field_error_for_a_bidi_override():
    user = member(full_name="Ana Mentor")

    response = client_for(user).post(
        reverse("accounts:profile_edit"),
        {"section": "about", "full_name": "Ana \u202eevil", "headline": "", "bio": ""},
    )

    assert response.status_code == 400  # a form with errors (core.html_errors)
    assert "U+202E" in response.content.decode()
    user.refresh_from_db()
    assert user.full_name == "Ana Mentor"


@pytest.mark.django_db
def test_skill_names_and_aliases_refuse_zero_width_characters_and_are_normalised():
    manager = talent_manager()
    api = api_client_for(manager)

    bad_name = api.post("/api/skills", {"name": "Terra\u200bform"}, format="json")
    bad_alias = api.post("/api/skills", {"name": "Go", "aliases": ["go\u202elang"]}, format="json")
    fullwidth = api.post(
        "/api/skills", {"name": "\uff34\uff45\uff52\uff52\uff41\uff46\uff4f\uff52\uff4d"}, format="json"
    )

    assert bad_name.status_code == 400 and "name" in bad_name.json()["error"]["fields"]
    assert bad_alias.status_code == 400 and "aliases" in bad_alias.json()["error"]["fields"]
    assert fullwidth.status_code == 201 and fullwidth.json()["name"] == "Terraform"
    assert list(
        Skill.objects.filter(organization=manager.membership.organization).values_list("name", flat=True)
    ) == ["Terraform"]


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+SUM(A1)",
        "-2",
        "@cmd",
        '\uff1dHYPERLINK("x")',
        " =1+1",
        "\u3000=1",
        "\t=1",
        "\r=1",
        "\uff0b1",
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(text):
    assert csv_cell(text) == f"'{text}"


@pytest.mark.parametrize("text", ["Ana", "1 = 1", "e-mail", "", None])
def test_ordinary_csv_cells_are_left_alone(text):
    assert csv_cell(text) == ("" if text is None else text)
