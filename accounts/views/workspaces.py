"""HTML views for workspaces: start (create or join by domain), invite links,
members, the domain allow-list and the audit log.

Thin adapters: parse a form, call one service or selector, render. Domain
errors come back as field errors on the form (``core.html_errors.run_form``);
a row action's error is flashed on the page it came from, and an id of another
workspace is a plain 404 (both by ``core.html_errors.DomainErrorMiddleware``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import membership_of, talent_manager_required
from accounts.adapters import PENDING_INVITE_SESSION_KEY
from accounts.forms.workspaces import (
    DomainAddForm,
    InviteCreateForm,
    MemberSearchForm,
    RoleForm,
    SecurityPolicyForm,
    WorkspaceCreateForm,
)
from accounts.selectors import workspaces as selectors
from accounts.services import security as security_services
from accounts.services import workspaces as services
from core.errors import NotFound
from core.html_errors import back_url, run_form

MEMBERS_PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50


def _after_joining(user) -> str:
    if user.profile.onboarded_at is None:
        return reverse("accounts:onboarding")
    return reverse("home")


# --- start: create or join by domain -----------------------------------------------------


@login_required
def workspace_start(request):
    if membership_of(request) is not None:
        return redirect("home")
    status = 200
    if request.method == "POST":
        form = WorkspaceCreateForm(request.POST)
        organization = run_form(
            form,
            lambda: services.workspace_create(
                user=request.user, name=form.cleaned_data["name"], domains=form.cleaned_data["domains"]
            ),
        )
        if organization is not None:
            messages.success(request, f"Workspace “{organization.name}” created. You are its talent manager.")
            return redirect(_after_joining(request.user))
        status = 400
    else:
        form = WorkspaceCreateForm()
    context = {
        "form": form,
        "joinable": selectors.joinable_workspaces(request.user),
        "verified_domains": selectors.verified_email_domains(request.user),
    }
    return render(request, "accounts/workspace_start.html", context, status=status)


@login_required
@require_POST
def workspace_join_domain(request, organization_id):
    try:
        membership = services.workspace_join_by_domain(user=request.user, organization_id=organization_id)
    except NotFound as error:
        # Not joinable with this person's verified addresses: not a missing page, the
        # start page says why and shows the other ways in.
        messages.error(request, error.message)
        return redirect("accounts:workspace_start")
    messages.success(request, f"Welcome to {membership.organization.name}!")
    return redirect(_after_joining(request.user))


# --- invite links -------------------------------------------------------------------------


def invite_accept(request, token):
    """/join/<token>/: anonymous visitors are sent to sign up or log in (the
    token is remembered); signed-in people without a workspace join with one
    click. Unknown, expired, revoked and used-up links get one page."""
    invite = selectors.invite_by_token(token)
    if invite is None or invite.status != "active":
        if request.session.get(PENDING_INVITE_SESSION_KEY) == token:
            del request.session[PENDING_INVITE_SESSION_KEY]
        return render(request, "accounts/invite_unusable.html", status=404)
    organization = invite.organization
    if not request.user.is_authenticated:
        request.session[PENDING_INVITE_SESSION_KEY] = token
        return render(
            request, "accounts/invite_landing.html", {"organization": organization, "invite": invite}
        )
    current = membership_of(request)
    if current is not None:
        return render(
            request,
            "accounts/invite_already_member.html",
            {"organization": organization, "current": current},
            status=409 if request.method == "POST" else 200,
        )
    if request.method == "POST":
        try:
            membership = services.invite_accept(user=request.user, token=token)
        except NotFound:  # used up or revoked since the page was drawn: like any unusable link
            return render(request, "accounts/invite_unusable.html", status=404)
        request.session.pop(PENDING_INVITE_SESSION_KEY, None)
        messages.success(request, f"Welcome to {membership.organization.name}!")
        return redirect(_after_joining(request.user))
    return render(request, "accounts/invite_join.html", {"organization": organization, "invite": invite})


@talent_manager_required
def workspace_invites(request, membership):
    status = 200
    if request.method == "POST":
        form = InviteCreateForm(request.POST)
        invite = run_form(form, lambda: services.invite_create(actor=request.user, **form.cleaned_data))
        if invite is not None:
            link = request.build_absolute_uri(invite.get_absolute_url())
            messages.success(request, f"Invite link created: {link}")
            return redirect("accounts:workspace_invites")
        status = 400
    else:
        form = InviteCreateForm()
    invites = list(selectors.invite_list(viewer_membership=membership))
    for invite in invites:
        invite.absolute_url = request.build_absolute_uri(invite.get_absolute_url())
    return render(request, "accounts/invite_list.html", {"form": form, "invites": invites}, status=status)


@require_POST
@talent_manager_required
def invite_revoke(request, membership, invite_id):
    invite = services.invite_revoke(actor=request.user, invite_id=invite_id)
    label = f"“{invite.note}”" if invite.note else "The invite link"
    messages.success(request, f"{label} is revoked; it no longer works.")
    return redirect("accounts:workspace_invites")


# --- members ----------------------------------------------------------------------------------


@talent_manager_required
def workspace_members(request, membership):
    search = MemberSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    members = selectors.member_list(viewer_membership=membership, query=query)
    page = Paginator(members, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/members.html",
        {
            "search": search,
            "query": query,
            "page": page,
            "role_choices": RoleForm.base_fields["role"].choices,
            "me": membership,
        },
    )


def _back_to_members(request):
    """To the members page the button was on (its ``next`` field keeps search and page)."""
    return redirect(back_url(request, default=reverse("accounts:workspace_members")))


@require_POST
@talent_manager_required
def member_role(request, membership, membership_id):
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose “Member” or “Talent manager” as the role.")
        return _back_to_members(request)
    target = services.member_change_role(
        actor=request.user, membership_id=membership_id, role=form.cleaned_data["role"]
    )
    messages.success(request, f"{target.user.display_name} is now a {target.get_role_display().lower()}.")
    return _back_to_members(request)


@require_POST
@talent_manager_required
def member_deactivate(request, membership, membership_id):
    target = services.member_deactivate(actor=request.user, membership_id=membership_id)
    if target.user_id == request.user.id:
        return redirect("account_login")
    messages.success(
        request, f"{target.user.display_name} is deactivated and has been signed out everywhere."
    )
    return _back_to_members(request)


@require_POST
@talent_manager_required
def member_reactivate(request, membership, membership_id):
    target = services.member_reactivate(actor=request.user, membership_id=membership_id)
    messages.success(request, f"{target.user.display_name} is active again and can sign in.")
    return _back_to_members(request)


# --- domain allow-list -------------------------------------------------------------------------


@talent_manager_required
def workspace_domains(request, membership):
    status = 200
    if request.method == "POST":
        form = DomainAddForm(request.POST)
        row = run_form(
            form, lambda: services.domain_add(actor=request.user, domain=form.cleaned_data["domain"])
        )
        if row is not None:
            messages.success(request, f"People with a verified @{row.domain} address can now join.")
            return redirect("accounts:workspace_domains")
        status = 400
    else:
        form = DomainAddForm()
    domains = selectors.domain_list(viewer_membership=membership)
    return render(
        request, "accounts/workspace_domains.html", {"form": form, "domains": domains}, status=status
    )


@require_POST
@talent_manager_required
def domain_remove(request, membership, domain_id):
    services.domain_remove(actor=request.user, domain_id=domain_id)
    messages.success(request, "Domain removed from the allow-list.")
    return redirect("accounts:workspace_domains")


# --- audit log -------------------------------------------------------------------------------------


@talent_manager_required
def workspace_audit(request, membership):
    entries = selectors.audit_log(viewer_membership=membership)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/workspace_audit.html", {"page": page})


# --- security policy ---------------------------------------------------------------------------


@talent_manager_required
def workspace_security(request, membership):
    """Who must use two-factor authentication, and who has not set it up yet."""
    organization = membership.organization
    form = SecurityPolicyForm(request.POST or None, initial={"mfa_policy": organization.mfa_policy})
    if request.method == "POST":
        saved = run_form(
            form,
            lambda: security_services.workspace_mfa_policy_set(
                actor=request.user, policy=form.cleaned_data["mfa_policy"]
            ),
        )
        if saved is not None:
            messages.success(request, f"Saved: {saved.get_mfa_policy_display().lower()}.")
            return redirect("accounts:workspace_security")
    missing = selectors.members_without_mfa(viewer_membership=membership)
    return render(
        request,
        "accounts/workspace_security.html",
        {"form": form, "without_mfa": missing},
        status=400 if form.errors else 200,
    )
