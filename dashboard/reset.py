"""The page a one-time password link opens (``hearthguard parent reset-password NAME``)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from dashboard.forms import error_text
from dashboard.passwords import PasswordBusy, argon2_slot
from dashboard.storage import policy
from policy.accounts import MIN_PASSWORD
from policy.resets import finish_reset, reset_user
from policy.validate import InputError

bp = Blueprint("reset", __name__)


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD,
                max=1024,
                message=_l("Use at least %(n)s characters.", n=MIN_PASSWORD),
            ),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
    )


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password() -> str | tuple[str, int]:
    """Choose a new password with a one-time link; a used or expired link says so."""
    token = request.values.get("token", "")
    user = reset_user(policy(), token, datetime.now(UTC))
    if user is None:
        return render_template("auth/reset.html", form=None, token="", user=None), 410
    form = ResetForm()
    if form.validate_on_submit():
        try:
            with argon2_slot():
                finish_reset(policy(), token, form.password.data or "", datetime.now(UTC))
        except PasswordBusy:
            return render_template("auth/reset.html", form=form, token=token, user=user), 429
        except InputError as exc:
            form.password.errors = [*form.password.errors, error_text(exc)]
        else:
            return render_template("auth/reset.html", form=None, token="", user=user, done=True)
    return render_template("auth/reset.html", form=form, token=token, user=user)
