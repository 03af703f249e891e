"""Forms: WTForms checks the shape, ``policy.validate`` the meaning; errors sit by the field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from policy.accounts import MIN_PASSWORD
from policy.presets import PRESETS
from policy.validate import InputError

__all__ = ["DeviceForm", "LoginForm", "ProfileForm", "RuleForm", "SetupForm", "show_error"]

_PRESET_CHOICES = [(p.name, f"{p.name.capitalize()} ({p.label})") for p in PRESETS.values()]


class SetupForm(FlaskForm):
    username = StringField("Your name (to log in)", validators=[DataRequired(), Length(max=64)])
    password = PasswordField(
        "Parent password",
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD, max=1024, message=f"Use at least {MIN_PASSWORD} characters."),
        ],
    )
    confirm = PasswordField(
        "Password again", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )


class LoginForm(FlaskForm):
    username = StringField("Name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class ProfileForm(FlaskForm):
    name = StringField("Child's name", validators=[DataRequired(), Length(max=64)])
    preset = SelectField("Age", choices=_PRESET_CHOICES, default="child")


class DeviceForm(FlaskForm):
    name = StringField("Device name", validators=[DataRequired(), Length(max=64)])
    ip = StringField("IP address", validators=[DataRequired(), Length(max=64)])
    mac = StringField("MAC address (optional)", validators=[Optional(), Length(max=32)])
    profile = SelectField("Profile", choices=[])


class RuleForm(FlaskForm):
    action = SelectField("Rule", choices=[("deny", "Always block"), ("allow", "Always allow")])
    domain = StringField("Site", validators=[DataRequired(), Length(max=253)])


def show_error(form: FlaskForm, error: InputError, fallback: str = "name") -> None:
    """Attach a policy error to the field it is about (or ``fallback``)."""
    field = getattr(form, error.field, None) or getattr(form, fallback)
    field.errors = [*field.errors, error.message]
