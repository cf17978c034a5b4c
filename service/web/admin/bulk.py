"""CSV import and export of subscribers from the admin, with the command line's rules.

Both call service/subscriptions/bulk.py (the same code as `subscribers import|export`);
the upload is written to a temporary file first because that code reads a path.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from flask import current_app, render_template, send_file
from flask_login import current_user
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from service.errors import InvalidInput
from service.extensions import db
from service.models import record, utcnow
from service.subscriptions.bulk import export_csv, import_csv
from service.web.admin import bp
from service.web.admin.access import role_required
from service.web.admin.forms import ImportForm

# An upload may be larger than a signup form (MAX_CONTENT_LENGTH); see ADMIN_UPLOAD_LIMIT.
SHOWN_ERRORS = 200


def _import(content: bytes, filename: str, send_confirmation: bool) -> tuple[Any, str | None]:
    """Run the command's import on the uploaded bytes: (report, None) or (None, problem)."""
    with tempfile.TemporaryDirectory() as folder:
        # Under its own (cleaned) name: the consent records of imported rows cite the file.
        path = os.path.join(folder, secure_filename(filename) or "upload.csv")
        with open(path, "wb") as out:
            out.write(content)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            return import_csv(app, path, utcnow(), send_confirmation=send_confirmation), None
        except InvalidInput as error:
            return None, _sentence(error.message)


def _sentence(message: str) -> str:
    """A lower-case clause from the import code as a sentence the page can show."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


@bp.route("/subscribers/import", methods=["GET", "POST"])
@role_required("owner")
def subscribers_import() -> str | tuple[str, int]:
    """Upload a CSV; show how many arrived and every refused line."""
    form = ImportForm()
    report: Any = None
    problem = None
    if form.validate_on_submit():
        content = form.csv_file.data.read()
        try:
            content.decode("utf-8-sig")  # checked whole first: a bad byte late in the file
        except UnicodeDecodeError:  # must not leave the rows before it half imported
            problem = "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
        else:
            report, problem = _import(content, form.csv_file.data.filename or "",
                                      bool(form.send_confirmation.data))
        if report is not None:
            record(db.session(), current_user, "subscribers.import", "subscribers", None, {
                "file": form.csv_file.data.filename, "imported": report.imported,
                "confirmed": report.confirmed, "refused": len(report.errors),
                "confirmations_queued": report.confirmations,
            })
            db.session.commit()
    status = 400 if problem or (report is not None and report.errors) else 200
    return render_template(
        "admin/import.html", form=form, report=report, problem=problem,
        shown=SHOWN_ERRORS,
    ), status


@bp.route("/subscribers/export")
@role_required("owner")
def subscribers_export() -> Response:
    """Every subscriber as CSV (the columns `subscribers export` writes)."""
    handle, path = tempfile.mkstemp(suffix=".csv")
    os.close(handle)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    count = export_csv(app, path)
    record(db.session(), current_user, "subscribers.export", "subscribers", None, {"rows": count})
    db.session.commit()
    stream = open(path, "rb")  # noqa: SIM115 - closed by the response
    os.unlink(path)  # the open file stays readable; nothing is left behind on disk
    return send_file(stream, mimetype="text/csv", as_attachment=True,
                     download_name=f"subscribers-{utcnow():%Y-%m-%d}.csv")
