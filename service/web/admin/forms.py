"""WTForms for the admin; every form carries Flask-WTF's CSRF token.

`ActionForm` is the form behind a single button (pause, resume, delete...): it holds only
the token, so `ActionForm().validate_on_submit()` is the CSRF check for such a POST.
Templates render it with the `action_button` macro in admin/_macros.html.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from service.models import StaffRole

ROLE_CHOICES = [
    SelectChoice(StaffRole.EDITOR.value, "Editor: writes lessons, follows patients"),
    SelectChoice(StaffRole.REVIEWER.value, "Reviewer: a clinician who signs off lessons"),
    SelectChoice(StaffRole.OWNER.value, "Owner: everything, and manages staff"),
]


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token and nothing else."""


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class StaffForm(FlaskForm):
    """An owner adding or editing a staff login."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField("Name shown to colleagues", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    is_clinician = BooleanField("A clinician (may sign off health content)")
    credentials = StringField(
        "Credentials shown on reviewed lessons (e.g. RMT, DPT)", validators=[Length(max=120)]
    )
    sign_reviews = BooleanField("Show “Reviewed by” on lessons this person approves",
                                default=True)
    active = BooleanField("Can log in", default=True)
    password = PasswordField(
        "Password (at least 12 characters; leave empty to keep it)",
        validators=[Optional(), Length(min=12, max=1024)],
    )


class ImportForm(FlaskForm):
    csv_file = FileField("CSV file", validators=[FileRequired()])
    send_confirmation = BooleanField("Email each row waiting to confirm a confirmation link")
