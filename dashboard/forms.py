"""Forms: WTForms checks the shape, ``policy.validate`` the meaning; errors sit by the field."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from policy.accounts import MIN_PASSWORD
from policy.presets import PRESETS
from policy.validate import InputError

__all__ = [
    "CheckForm",
    "DeviceForm",
    "DeviceSettingsForm",
    "HouseholdForm",
    "ImportForm",
    "LoginForm",
    "ParentForm",
    "PasswordForm",
    "ProfileForm",
    "ProfileSettingsForm",
    "QuickRuleForm",
    "RenameForm",
    "RuleForm",
    "ScheduleForm",
    "SetupForm",
    "error_text",
    "show_error",
]

_PRESET_LABELS = {
    "young": _l("Young (under 9)"),
    "child": _l("Child (about 9 to 12)"),
    "teen": _l("Teen (13 to 17)"),
    "adult": _l("Adult (malware and phishing only)"),
}
_PRESET_CHOICES = [(name, _PRESET_LABELS.get(name, name)) for name in PRESETS]

#: Content-scan strictness: the page classifier's threshold (lower blocks more).
STRICTNESS = (
    ("off", _l("Off: don't read pages")),
    ("0.9", _l("Relaxed: only clear cases")),
    ("0.8", _l("Balanced (the teen preset)")),
    ("0.7", _l("Careful (the 9 to 12 preset)")),
    ("0.6", _l("Strict: block when unsure (the under-9 preset)")),
)
RULE_DURATIONS = (
    ("always", _l("always")),
    ("15m", _l("for 15 minutes")),
    ("1h", _l("for an hour")),
    ("today", _l("until midnight")),
)
_PASSWORD_LENGTH = Length(
    min=MIN_PASSWORD, max=1024, message=_l("Use at least %(n)s characters.", n=MIN_PASSWORD)
)


class SetupForm(FlaskForm):
    username = StringField(_l("Your name (to log in)"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Parent password"), validators=[DataRequired(), _PASSWORD_LENGTH])
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )


class LoginForm(FlaskForm):
    username = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ProfileForm(FlaskForm):
    """A new profile; its name and preset are checked by ``policy.profile_fields``."""

    name = StringField(_l("Child's name"), validators=[DataRequired()])
    preset = SelectField(_l("Age"), choices=_PRESET_CHOICES, default="child", validate_choice=False)


class RenameForm(FlaskForm):
    """A profile's new name (checked by ``policy.profile_fields``)."""

    name = StringField(_l("New name"), validators=[DataRequired()])


class ProfileSettingsForm(FlaskForm):
    blocked = SelectMultipleField(_l("Blocked kinds of sites"), choices=[], validate_choice=False)
    strictness = SelectField(_l("Reading pages (content scan)"), choices=STRICTNESS)
    safesearch = BooleanField(_l("Force SafeSearch on Google, Bing and DuckDuckGo"))
    youtube = SelectField(
        _l("YouTube Restricted Mode"),
        choices=[("off", _l("Off")), ("moderate", _l("Moderate")), ("strict", _l("Strict"))],
        validate_choice=False,  # policy.profile_fields checks the mode
    )
    logging = BooleanField(_l("Keep an activity log for this profile"))


class RuleForm(FlaskForm):
    action = SelectField(
        _l("Rule"), choices=[("deny", _l("Always block")), ("allow", _l("Always allow"))]
    )
    domain = StringField(_l("Site"), validators=[DataRequired(), Length(max=253)])
    duration = SelectField(_l("For how long"), choices=RULE_DURATIONS, default="always")


class QuickRuleForm(RuleForm):
    profile = SelectField(_l("Child"), choices=[])
    action = SelectField(_l("Rule"), choices=[("allow", _l("Allow")), ("deny", _l("Block"))])


class ScheduleForm(FlaskForm):
    label = StringField(_l("Name"), default="bedtime", validators=[DataRequired(), Length(max=64)])
    days = SelectMultipleField(
        _l("Days"),
        choices=[
            ("1", _l("Mon")),
            ("2", _l("Tue")),
            ("3", _l("Wed")),
            ("4", _l("Thu")),
            ("5", _l("Fri")),
            ("6", _l("Sat")),
            ("7", _l("Sun")),
        ],
        validate_choice=False,
    )
    start = StringField(_l("Offline from"), default="20:30", validators=[DataRequired()])
    end = StringField(_l("Until"), default="07:00", validators=[DataRequired()])


class DeviceForm(FlaskForm):
    name = StringField(_l("Device name"), validators=[DataRequired(), Length(max=64)])
    ip = StringField(_l("IP address"), validators=[DataRequired(), Length(max=64)])
    mac = StringField(_l("MAC address (optional)"), validators=[Optional(), Length(max=32)])
    profile = SelectField(_l("Profile"), choices=[])


class DeviceSettingsForm(FlaskForm):
    profile = SelectField(_l("Profile"), choices=[])
    ca_trusted = BooleanField(_l("Hearthguard's certificate is installed on this device"))


class CheckForm(FlaskForm):
    url = StringField(_l("Web address"), validators=[DataRequired(), Length(max=2000)])
    profile = SelectField(_l("Profile"), choices=[])


class ParentForm(FlaskForm):
    username = StringField(_l("Name (to log in)"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), _PASSWORD_LENGTH])
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), _PASSWORD_LENGTH])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )


class HouseholdForm(FlaskForm):
    """The household settings; their values are checked by ``policy.settings`` (the store
    refuses what it refuses), the selects only offer what exists."""

    default_profile = SelectField(_l("Profile for new devices"), choices=[])
    retention_days = IntegerField(
        _l("Keep activity for (days)"), validators=[InputRequired(_l("Enter a number of days."))]
    )
    language = SelectField(_l("Language"), choices=[])
    country = SelectField(_l("Country"), choices=[])


class ImportForm(FlaskForm):
    file = FileField(_l("Configuration file (JSON)"), validators=[FileRequired()])


def error_text(error: InputError) -> str:
    """A policy error's message in the page's language (as written when it has no translation)."""
    return gettext(error.template, **error.params)


def show_error(form: FlaskForm, error: InputError, fallback: str = "name") -> None:
    """Attach a policy error to the field it is about (or ``fallback``)."""
    field = getattr(form, error.field, None)
    if not isinstance(field, Field):
        field = getattr(form, fallback)
    field.errors = [*field.errors, error_text(error)]
