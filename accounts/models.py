"""Users, workspaces (organizations), memberships, profiles and skills.

A user belongs to at most one workspace (``Membership`` is one-to-one with
``User``). Every read in the product is scoped to the viewer's workspace.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from core.clock import now


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an e-mail address (stored lower-cased)."""

    email = models.EmailField("e-mail address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name.split(" ")[0]


class Organization(models.Model):
    """A workspace. Everything a member sees is scoped to one."""

    class MfaPolicy(models.TextChoices):
        OFF = "off", "Not required"
        TALENT_MANAGERS = "talent_managers", "Required for talent managers"
        EVERYONE = "everyone", "Required for everyone"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    # who must have two-factor authentication (TOTP) to use the workspace (accounts.mfa_policy)
    mfa_policy = models.CharField(max_length=20, choices=MfaPolicy.choices, default=MfaPolicy.OFF)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class WorkspaceDomain(models.Model):
    """An e-mail domain whose verified addresses may join the workspace directly.

    A domain belongs to at most one workspace, so auto-join is unambiguous."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(Lower("domain"), name="workspace_domain_unique_ci"),
        ]

    def __str__(self):
        return self.domain


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        TALENT_MANAGER = "talent_manager", "Talent manager"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["organization", "user"]
        indexes = [models.Index(fields=["organization", "is_active", "role"])]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.get_role_display()})"

    @property
    def is_talent_manager(self) -> bool:
        return self.role == self.Role.TALENT_MANAGER


def _invite_token() -> str:
    return secrets.token_urlsafe(24)


def _invite_expiry():
    return now() + timedelta(days=settings.TANDEM_INVITE_LINK_DAYS)


class InviteLink(models.Model):
    """A shareable, expiring, revocable link that lets people join a workspace."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invites")
    token = models.CharField(max_length=64, unique=True, default=_invite_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField(default=_invite_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invite to {self.organization} ({self.status})"

    def get_absolute_url(self):
        return reverse("accounts:invite_accept", args=[self.token])

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now():
            return "expired"
        if self.max_uses is not None and self.use_count >= self.max_uses:
            return "used up"
        return "active"


class Profile(models.Model):
    """What other people see, and what matching uses."""

    class WorkMode(models.TextChoices):
        ASYNC = "async", "Mostly asynchronous (written Q&A)"
        MIXED = "mixed", "A mix of both"
        LIVE = "live", "Mostly live (calls, chat)"

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily check-ins"
        FEW_TIMES_A_WEEK = "few_weekly", "A few times a week"
        WEEKLY = "weekly", "Weekly"
        AS_NEEDED = "as_needed", "As issues come up"

    class FeedbackStyle(models.TextChoices):
        DIRECT = "direct", "Direct and blunt"
        BALANCED = "balanced", "Balanced"
        GENTLE = "gentle", "Gentle and encouraging"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(max_length=5000, blank=True)
    bio_html = models.TextField(blank=True, editable=False)
    timezone = models.CharField(max_length=64, default="UTC")
    # [{"day": 0-6 (Mon=0), "start": "HH:MM", "end": "HH:MM"}] in the profile's time zone.
    working_hours = models.JSONField(default=list, blank=True)
    # 168 bits (hour-of-week in UTC, Monday 00:00 = bit 0) as 42 hex digits, derived
    # from working_hours + timezone on save; used for overlap filters and matching.
    utc_week_mask = models.CharField(max_length=42, default="0" * 42, editable=False)
    capacity = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(0), MaxValueValidator(20)]
    )
    work_mode = models.CharField(max_length=10, choices=WorkMode.choices, default=WorkMode.MIXED)
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.AS_NEEDED)
    feedback_style = models.CharField(
        max_length=10, choices=FeedbackStyle.choices, default=FeedbackStyle.BALANCED
    )
    open_to_mentor = models.BooleanField(default=False)
    seeking = models.BooleanField(default=False)
    is_away = models.BooleanField(default=False)
    onboarded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=0) & Q(capacity__lte=20), name="profile_capacity_range"
            ),
        ]
        indexes = [models.Index(fields=["open_to_mentor", "is_away"])]

    def __str__(self):
        return f"Profile of {self.user}"

    def get_absolute_url(self):
        return reverse("accounts:profile_detail", args=[self.user_id])


class Skill(models.Model):
    """A workspace's skill taxonomy entry."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="skills")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=90)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="skill_name_unique_per_org_ci"),
            models.UniqueConstraint(fields=["organization", "slug"], name="skill_slug_unique_per_org"),
        ]

    def __str__(self):
        return self.name


class SkillAlias(models.Model):
    """Another name for a skill ("k8s" for Kubernetes); searched by autocomplete."""

    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="aliases")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "skill aliases"
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="skill_alias_unique_per_org_ci"),
        ]

    def __str__(self):
        return f"{self.name} → {self.skill}"


class Expertise(models.Model):
    """A skill a person can mentor in, with a self-declared level 1–5."""

    class Level(models.IntegerChoices):
        FAMILIAR = 1, "1 · Familiar"
        PRACTISING = 2, "2 · Practising"
        PROFICIENT = 3, "3 · Proficient"
        ADVANCED = 4, "4 · Advanced"
        EXPERT = 5, "5 · Expert"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expertise")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="experts")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    years = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(60)]
    )

    class Meta:
        ordering = ["-level", "skill__name"]
        verbose_name_plural = "expertise"
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="expertise_unique_user_skill"),
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=5), name="expertise_level_1_5"),
            models.CheckConstraint(condition=Q(years__lte=60), name="expertise_years_max_60"),
        ]
        indexes = [models.Index(fields=["skill", "level"])]

    def __str__(self):
        return f"{self.user} · {self.skill} ({self.level})"


class LearningGoal(models.Model):
    """A skill a person wants to learn."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_goals"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="learners")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="learning_goal_unique_user_skill"),
        ]

    def __str__(self):
        return f"{self.user} wants {self.skill}"


class AuditEntry(models.Model):
    """Who did what to whom in a workspace (role changes, deactivations, invites...)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class UserSession(models.Model):
    """A session key a user logged in with, so deactivation can end every session at once
    (works with any session engine: the keys are deleted through the engine's store)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Session of {self.user} since {self.created_at:%Y-%m-%d %H:%M}"


# Company sign-in and provisioning keep their models in their own packages.
from accounts.scim.models import ScimIdentity, ScimToken  # noqa: E402, F401
from accounts.sso.models import SsoConnection  # noqa: E402, F401
