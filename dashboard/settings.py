"""Settings: parent accounts, household settings, lists, backup and restore, the audit log."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from dashboard.background import job_running, start_job
from dashboard.forms import (
    HouseholdForm,
    ImportForm,
    ParentForm,
    PasswordForm,
    error_text,
    show_error,
)
from dashboard.passwords import PasswordBusy, argon2_slot, check_password_throttled
from dashboard.sessions import current_digest
from dashboard.storage import local_now, policy
from policy.accounts import create_parent
from policy.config_io import export_configuration, import_configuration
from policy.helplines import COUNTRIES
from policy.validate import InputError
from ui.i18n import LANGUAGES, country_name, sort_key

bp = Blueprint("settings", __name__, url_prefix="/settings")

_LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "cs": "Čeština"}
#: the household settings this page's form edits (defaults and checks: ``policy.settings``)
HOUSEHOLD_SETTINGS = ("default_profile", "retention_days", "language", "country")

Page = str | tuple[str, int]


def _household_form(formdata: bool = False) -> HouseholdForm:
    store = policy()
    form = HouseholdForm() if formdata else HouseholdForm(formdata=None)
    form.default_profile.choices = [(n, n) for n in store.profile_names()]  # type: ignore[assignment]
    form.language.choices = [  # type: ignore[assignment]
        ("", _("Follow each browser")),
        *((code, _LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES),
    ]
    language = str(get_locale() or "en")
    form.country.choices = [  # type: ignore[assignment]
        ("", _("Not set (116 111 and the international hotline directory)")),
        *sorted(
            ((c, f"{country_name(c, language, h.name)} ({c})") for c, h in COUNTRIES.items()),
            key=lambda x: sort_key(x[1]),
        ),
    ]
    if not formdata:
        for key in HOUSEHOLD_SETTINGS:
            getattr(form, key).data = store.get_setting(key)
    return form


def _page(
    *,
    household: HouseholdForm | None = None,
    parent_form: ParentForm | None = None,
    password_form: PasswordForm | None = None,
    import_form: ImportForm | None = None,
    parent_error: str | None = None,
    confirm_remove: str | None = None,
    status: int = 200,
) -> Page:
    store = policy()
    page = render_template(
        "settings/index.html",
        household=household or _household_form(),
        parent_form=parent_form or ParentForm(formdata=None, prefix="parent"),
        password_form=password_form or PasswordForm(formdata=None, prefix="mine"),
        import_form=import_form or ImportForm(formdata=None),
        parents=store.parent_names(),
        parent_error=parent_error,
        confirm_remove=confirm_remove,
        lists=store.lists(),
        updating=job_running("lists-update"),
        me=session["parent"],
        saved=request.args.get("saved"),
    )
    return page, status


@bp.route("/")
def index() -> Page:
    return _page()


@bp.route("/lists")
def lists() -> str:
    """Every category list with its size, last update and state (kept off the main page)."""
    return render_template("settings/lists.html", lists=policy().lists())


@bp.route("/changes")
def changes() -> str:
    """The latest changes and who made them (kept off the main page)."""
    return render_template("settings/changes.html", audit=policy().audit_log(200))


@bp.route("/household", methods=["POST"])
def household() -> Page | BaseResponse:
    """Save the household settings; one refused value (by its check in ``policy.settings``)
    saves none and shows the message by its field."""
    form = _household_form(formdata=True)
    if form.validate_on_submit():
        values = {key: getattr(form, key).data for key in HOUSEHOLD_SETTINGS}
        try:
            policy().set_settings(values, actor=session["parent"], languages=LANGUAGES)
        except InputError as exc:
            show_error(form, exc, "retention_days")
        else:
            return redirect(url_for("settings.index", saved="household"))
    return _page(household=form)


@bp.route("/parents", methods=["POST"])
def add_parent() -> Page | BaseResponse:
    form = ParentForm(prefix="parent")
    if form.validate_on_submit():
        username = form.username.data or ""
        if username.strip().lower() in {n.lower() for n in policy().parent_names()}:
            form.username.errors = [*form.username.errors, _("That name is already taken.")]
        else:
            try:
                with argon2_slot():
                    create_parent(
                        policy(), username, form.password.data or "", actor=session["parent"]
                    )
            except PasswordBusy:
                form.password.errors = [_("Hearthguard is busy. Please try again.")]
            except InputError as exc:
                show_error(form, exc, "username")
            else:
                return redirect(url_for("settings.index", saved="parent"))
    return _page(parent_form=form)


@bp.route("/parents/<username>/delete", methods=["POST"])
def delete_parent(username: str) -> Page | BaseResponse:
    if username.lower() == session["parent"].lower():
        return _page(parent_error=_("You cannot remove your own account while logged in."))
    if request.form.get("confirm") != "yes":
        return _page(confirm_remove=username)  # ask first: it cannot be undone
    try:
        policy().delete_parent(username, actor=session["parent"])
    except InputError as exc:
        return _page(parent_error=error_text(exc))
    return redirect(url_for("settings.index", saved="parent"))


@bp.route("/password", methods=["POST"])
def change_password() -> Page | BaseResponse:
    form = PasswordForm(prefix="mine")
    if form.validate_on_submit():
        me, digest = session["parent"], current_digest() or ""
        verdict = check_password_throttled(me, form.current.data or "", digest)
        if verdict.busy:
            form.current.errors = [_("Hearthguard is busy. Please try again.")]
        elif verdict.wait:
            form.current.errors = [_("Too many attempts. Please wait and try again.")]
        elif not verdict.ok:
            form.current.errors = [_("That is not your current password.")]
        else:
            try:  # the new password ends this parent's other sessions; this one stays
                with argon2_slot():
                    create_parent(
                        policy(), me, form.password.data or "", actor=me, keep_session=digest
                    )
            except PasswordBusy:
                form.password.errors = [_("Hearthguard is busy. Please try again.")]
            except InputError as exc:
                show_error(form, exc, "password")
            else:
                return redirect(url_for("settings.index", saved="password"))
    return _page(password_form=form)


@bp.route("/export")
def export() -> Response:
    """The configuration as a JSON file (no passwords, no certificate authority)."""
    now = local_now()
    body = json.dumps(export_configuration(policy(), now), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": (
                f"attachment; filename=hearthguard-{now.strftime('%Y-%m-%d')}.json"
            )
        },
    )


@bp.route("/import", methods=["POST"])
def import_() -> Page | BaseResponse:
    form = ImportForm()
    if form.validate_on_submit():
        try:
            import_configuration(
                policy(),
                form.file.data.read(),
                languages=LANGUAGES,
                actor=session["parent"],
            )
        except InputError as exc:
            show_error(form, exc, "file")
        else:
            return redirect(url_for("settings.index", saved="import"))
    return _page(import_form=form)


@bp.route("/lists/update", methods=["POST"])
def update_lists() -> BaseResponse:
    """Start ``hearthguard lists update`` in the background; the page never waits for it."""
    start_job("lists-update", "lists", "update")
    return redirect(url_for("settings.index", saved="lists", _anchor="lists"))
