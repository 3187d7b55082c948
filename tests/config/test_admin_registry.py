"""Every model of Tandem's four apps is in the Django admin with columns and
search, and every changelist loads (read-only where writes must go through
services)."""

import pytest
from django.apps import apps
from django.contrib import admin

TANDEM_APPS = ("accounts", "mentoring", "messaging", "trust")
MODELS = [model for model in apps.get_models() if model._meta.app_label in TANDEM_APPS]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_model_is_registered_with_useful_columns(model):
    model_admin = admin.site._registry.get(model)
    assert model_admin is not None, f"{model._meta.label} is not in the admin"
    assert model_admin.list_display != ("__str__",), f"{model._meta.label} has no list_display"


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_changelist_loads_and_searches(admin_client, model):
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert admin_client.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert admin_client.get(url, {"q": "someone"}).status_code == 200
