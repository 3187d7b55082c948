"""Company sign-in pages: the login page's discovery step and the talent manager's
settings page (SSO connection and SCIM tokens). Thin adapters: parse a form, call one
service, render."""

from dataclasses import fields

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import talent_manager_required
from accounts.scim import tokens as scim_tokens
from accounts.sso import services
from accounts.sso.forms import DiscoverForm, ScimTokenForm, SsoConnectionForm
from accounts.sso.socialaccount import refused_page
from core.html_errors import run_form

NEW_TOKEN_SESSION_KEY = "tandem_new_scim_token"  # noqa: S105 (a session key name)


def sso_discover(request):
    """Work e-mail → the workspace's identity provider ("Continue with your company account")."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    connection = None
    status = 200
    if request.method == "POST":
        form = DiscoverForm(request.POST)
        if form.is_valid():
            connection = services.connection_for_email(form.cleaned_data["email"])
            if connection is None:
                domain = services.email_domain(form.cleaned_data["email"])
                form.add_error(
                    "email",
                    f"No workspace signs in with a company account at {domain}. Sign in with your password.",
                )
                status = 400
        else:
            status = 400
    else:
        form = DiscoverForm(initial={"email": request.GET.get("email", "")})
    login_url = ""
    if connection is not None and connection.protocol == connection.Protocol.SAML:
        login_url = reverse("saml_login", kwargs={"organization_slug": connection.provider_id})
    elif connection is not None:
        login_url = reverse("openid_connect_login", kwargs={"provider_id": connection.provider_id})
    context = {"form": form, "connection": connection, "login_url": login_url, "next": next_url}
    response = render(request, "accounts/sso/discover.html", context, status=status)
    if connection is not None:
        # the form's POST is answered by a redirect to the identity provider, which the
        # page's CSP (form-action 'self') must allow
        response._csp_update = {"form-action": [services.authorization_origin(connection)]}
    return response


def saml_finish_acs(request, organization_slug):
    """allauth's SAML "finish ACS" step, with a clear page where allauth raises
    PermissionDenied: a response that answers no request of this browser (replayed, or its
    request expired)."""
    from allauth.socialaccount.providers.saml.views import finish_acs

    try:
        return finish_acs(request, organization_slug=organization_slug)
    except DjangoPermissionDenied:
        return refused_page(
            request,
            "Your company sign-in did not complete: the identity provider's answer could not be verified "
            "(it was already used, or answers a sign-in that expired). Start again from the sign-in page.",
            status=400,
        )


def _values_for_idp(request, membership) -> dict:
    slug = membership.organization.slug
    return {
        "oidc_redirect_uri": request.build_absolute_uri(
            reverse("openid_connect_callback", kwargs={"provider_id": slug})
        ),
        "saml_sp_entity_id": request.build_absolute_uri(
            reverse("saml_metadata", kwargs={"organization_slug": slug})
        ),
        "saml_acs_url": request.build_absolute_uri(reverse("saml_acs", kwargs={"organization_slug": slug})),
        "scim_base_url": request.build_absolute_uri(reverse("scim:users")).removesuffix("Users"),
        "login_url": request.build_absolute_uri(reverse("account_login")),
    }


@talent_manager_required
def workspace_sso(request, membership):
    connection = services.connection_for_workspace(membership.organization_id)
    status = 200
    if request.method == "POST":
        form = SsoConnectionForm(request.POST)
        accepted = {field.name for field in fields(services.ConnectionInput)}
        saved = run_form(
            form,
            lambda: services.sso_connection_save(
                actor=request.user,
                data=services.ConnectionInput(
                    **{key: value for key, value in form.cleaned_data.items() if key in accepted}
                ),
            ),
        )
        if saved is not None:
            messages.success(request, "Company sign-in settings saved.")
            return redirect("accounts:workspace_sso")
        status = 400
    else:
        form = SsoConnectionForm(initial=SsoConnectionForm.initial_from(connection))
    context = {
        "form": form,
        "connection": connection,
        "idp": _values_for_idp(request, membership),
        "token_form": ScimTokenForm(),
        "tokens": scim_tokens.scim_token_list(viewer_membership=membership),
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
    }
    return render(request, "accounts/sso/settings.html", context, status=status)


@require_POST
@talent_manager_required
def scim_token_create(request, membership):
    form = ScimTokenForm(request.POST)
    created = run_form(
        form, lambda: scim_tokens.scim_token_create(actor=request.user, note=form.cleaned_data["note"])
    )
    if created is None:
        messages.error(request, "The SCIM token was not created: " + " ".join(form.errors.get("note", [])))
    else:
        # shown once on the next page, never stored in readable form
        request.session[NEW_TOKEN_SESSION_KEY] = created[1]
        messages.success(request, "SCIM token created. Copy it now: it is shown only once.")
    return redirect("accounts:workspace_sso")


@require_POST
@talent_manager_required
def scim_token_revoke(request, membership, token_id):
    row = scim_tokens.scim_token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, f"SCIM token {row.prefix}… revoked; it stops working now.")
    return redirect("accounts:workspace_sso")
