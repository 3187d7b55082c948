"""HTML for notifications: the list (/notifications/), mark one or all read,
open one (marks it read, then goes to its page) and the preferences form.
Everything works without JavaScript; static/js/notifications.js only keeps
the bell's count live."""

from django import forms
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from mentoring.engagements.views import member_page
from messaging.notifications import services as notifications

PAGE_SIZE = 25


@member_page
def notification_list(request):
    page = Paginator(notifications.notifications_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "messaging/notifications.html",
        {"page": page, "unread": notifications.unread_count(request.user)},
    )


@member_page
@require_POST
def mark_read(request):
    """``all=1`` marks every unread one; otherwise ``id`` names one of mine."""
    if request.POST.get("all"):
        notifications.notifications_mark_read(user=request.user, all_unread=True)
        flash.success(request, "All notifications marked read.")
    else:
        notification = notifications.access_notification(request.user, request.POST.get("id"))
        notifications.notifications_mark_read(user=request.user, ids=[notification.pk])
        flash.success(request, "Notification marked read.")
    page = request.POST.get("page", "")
    url = reverse("messaging:notifications")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@member_page
@require_POST
def open_notification(request, notification_id):
    notification = notifications.access_notification(request.user, notification_id)
    notifications.notifications_mark_read(user=request.user, ids=[notification.pk])
    return redirect(notification.link or reverse("messaging:notifications"))


class PreferencesForm(forms.Form):
    unread_email_delay_minutes = forms.IntegerField(
        label="E-mail me about a notification still unread after (minutes)",
        min_value=0,
        max_value=notifications.MAX_DELAY_MINUTES,
        help_text=f"0 sends it at once; at most {notifications.MAX_DELAY_MINUTES} (a day).",
        error_messages={
            "required": "Give a number of minutes (0 for at once).",
            "invalid": "Give a whole number of minutes.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = []
        for group, label in notifications.GROUPS.items():
            email = f"{group}__email_when_unread"
            digest = f"{group}__daily_digest"
            self.fields[email] = forms.BooleanField(required=False, label=f"{label}: e-mail when unread")
            self.fields[digest] = forms.BooleanField(required=False, label=f"{label}: in the daily digest")
            self.groups.append((label, self[email], self[digest]))

    @classmethod
    def initial_from(cls, preferences: notifications.Preferences) -> dict:
        initial = {"unread_email_delay_minutes": preferences.unread_email_delay_minutes}
        for group, options in preferences.groups.items():
            for option, value in options.items():
                initial[f"{group}__{option}"] = value
        return initial

    def groups_data(self) -> dict:
        return {
            group: {option: self.cleaned_data[f"{group}__{option}"] for option in notifications.GROUP_OPTIONS}
            for group in notifications.GROUPS
        }


@member_page
def preferences(request):
    current = notifications.preferences_of(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                notifications.notification_preferences_update(
                    user=request.user,
                    groups=form.groups_data(),
                    unread_email_delay_minutes=form.cleaned_data["unread_email_delay_minutes"],
                )
            except DomainError as error:
                for field, problems in error.fields.items():
                    name = field.replace("groups.", "").replace(".", "__")
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
            else:
                flash.success(request, "Notification preferences saved.")
                return redirect("messaging:notification_preferences")
        status = 400
    else:
        form = PreferencesForm(initial=PreferencesForm.initial_from(current))
        status = 200
    return render(request, "messaging/notifications_preferences.html", {"form": form}, status=status)
