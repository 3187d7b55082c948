"""HTML for notifications: the list (/notifications/), mark one or all read,
open one (marks it read, then goes to its page) and the preferences form.
Everything works without JavaScript; static/js/notifications.js only keeps
the bell's count live. Someone else's notification is the 404 page
(``core.html_errors``)."""

from django import forms
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import member_required
from core.html_errors import form_status, run_form
from messaging.notifications import preferences as prefs
from messaging.notifications import selectors, services

PAGE_SIZE = 25


@member_required
def notification_list(request):
    page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "messaging/notifications.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )


@member_required
@require_POST
def mark_read(request):
    """``all=1`` marks every unread one; otherwise ``id`` names one of mine."""
    if request.POST.get("all"):
        services.notifications_mark_read(user=request.user, all_unread=True)
        flash.success(request, "All notifications marked read.")
    else:
        notification = selectors.access_notification(request.user, request.POST.get("id"))
        services.notifications_mark_read(user=request.user, ids=[notification.pk])
        flash.success(request, "Notification marked read.")
    page = request.POST.get("page", "")
    url = reverse("messaging:notifications")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@member_required
@require_POST
def open_notification(request, notification_id):
    notification = selectors.access_notification(request.user, notification_id)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect(notification.link or reverse("messaging:notifications"))


class PreferencesForm(forms.Form):
    unread_email_delay_minutes = forms.IntegerField(
        label="E-mail me about a notification still unread after (minutes)",
        min_value=0,
        max_value=prefs.MAX_DELAY_MINUTES,
        help_text=f"0 sends it at once; at most {prefs.MAX_DELAY_MINUTES} (a day).",
        error_messages={
            "required": "Give a number of minutes (0 for at once).",
            "invalid": "Give a whole number of minutes.",
        },
    )
    # the service names a field groups.<group>.<option>; the form <group>__<option>
    SERVICE_FIELDS = {
        f"groups.{group}.{option}": f"{group}__{option}"
        for group in prefs.GROUPS
        for option in prefs.GROUP_OPTIONS
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = []
        for group, label in prefs.GROUPS.items():
            email = f"{group}__email_when_unread"
            digest = f"{group}__daily_digest"
            self.fields[email] = forms.BooleanField(required=False, label=f"{label}: e-mail when unread")
            self.fields[digest] = forms.BooleanField(required=False, label=f"{label}: in the daily digest")
            self.groups.append((label, self[email], self[digest]))

    @classmethod
    def initial_from(cls, preferences: prefs.Preferences) -> dict:
        initial = {"unread_email_delay_minutes": preferences.unread_email_delay_minutes}
        for group, options in preferences.groups.items():
            for option, value in options.items():
                initial[f"{group}__{option}"] = value
        return initial

    def groups_data(self) -> dict:
        return {
            group: {option: self.cleaned_data[f"{group}__{option}"] for option in prefs.GROUP_OPTIONS}
            for group in prefs.GROUPS
        }


@member_required
def preferences(request):
    if request.method != "POST":
        form = PreferencesForm(initial=PreferencesForm.initial_from(prefs.preferences_of(request.user)))
        return render(request, "messaging/notifications_preferences.html", {"form": form})
    form = PreferencesForm(request.POST)
    saved = run_form(
        form,
        lambda: services.notification_preferences_update(
            user=request.user,
            groups=form.groups_data(),
            unread_email_delay_minutes=form.cleaned_data["unread_email_delay_minutes"],
        ),
        rename=PreferencesForm.SERVICE_FIELDS,
    )
    if saved is not None:
        flash.success(request, "Notification preferences saved.")
        return redirect("messaging:notification_preferences")
    return render(
        request, "messaging/notifications_preferences.html", {"form": form}, status=form_status(form)
    )
