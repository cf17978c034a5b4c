"""Operations on staff accounts; each takes a session, flushes, and leaves the commit to the caller.

The command line (`flask --app wsgi staff ...`) and the owners' pages at /admin/staff call
the same functions, so the rules (a valid address, a long enough password, a known role,
never disabling the last active owner) hold on both.
"""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.errors import InvalidInput
from service.models import Staff, StaffRole, record
from service.models.staff import new_session_token

MIN_PASSWORD_LENGTH = 12
# Compared against when the address is unknown, so a wrong address costs as long as a
# wrong password and timing does not reveal who has an account.
_DUMMY_HASH = generate_password_hash("not a password of anyone", method="scrypt")


def normalise_email(raw: str) -> str:
    """A staff address, checked for shape only (no DNS: the product starts offline)."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(f"That is not an email address: {error}") from None


def check_password_rules(password: str) -> None:
    """Refuse a password too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")


def role_of(raw: str) -> StaffRole:
    """The role named `raw`, or InvalidInput listing the roles."""
    try:
        return StaffRole(raw.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in StaffRole)
        raise InvalidInput(f"Unknown role {raw!r}: choose one of {roles}.") from None


def find(session: Session, email: str) -> Staff | None:
    """The staff member with this address (any case), or None."""
    return session.scalar(select(Staff).where(Staff.email == email.strip().lower()))


def create(
    session: Session, actor: Staff | None, email: str, password: str, role: str, *,
    display_name: str = "", is_clinician: bool = False, credentials: str = "",
) -> Staff:
    """Add a staff login; InvalidInput if the address is taken or a rule fails."""
    address = normalise_email(email)
    check_password_rules(password)
    chosen = role_of(role)
    if find(session, address) is not None:
        raise InvalidInput(f"{address} already has a staff login.")
    staff = Staff(
        email=address, display_name=display_name.strip()[:120], role=chosen,
        password_hash=generate_password_hash(password, method="scrypt"),
        is_clinician=is_clinician, credentials=credentials.strip()[:120],
    )
    session.add(staff)
    session.flush()
    record(session, actor, "staff.create", f"staff:{staff.id}", after=describe(staff))
    return staff


def describe(staff: Staff) -> dict[str, object]:
    """What the audit log keeps of an account (never the password hash)."""
    return {
        "email": staff.email, "display_name": staff.display_name, "role": staff.role,
        "is_clinician": staff.is_clinician, "credentials": staff.credentials,
        "sign_reviews": staff.sign_reviews, "active": staff.active,
    }


def _active_owners(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Staff).where(Staff.role == StaffRole.OWNER, Staff.active)
    ) or 0


def update(
    session: Session, actor: Staff | None, staff: Staff, *, role: str, display_name: str,
    is_clinician: bool, credentials: str, sign_reviews: bool, active: bool,
) -> Staff:
    """Change an account's details; the last active owner cannot be demoted or disabled."""
    before = describe(staff)
    chosen = role_of(role)
    losing_owner = staff.role == StaffRole.OWNER and staff.active and (
        chosen != StaffRole.OWNER or not active
    )
    if losing_owner and _active_owners(session) <= 1:
        raise InvalidInput("This is the last active owner: make someone else an owner first.")
    staff.role = chosen
    staff.display_name = display_name.strip()[:120]
    staff.is_clinician = is_clinician
    staff.credentials = credentials.strip()[:120]
    staff.sign_reviews = sign_reviews
    if staff.active and not active:
        staff.session_token = new_session_token()  # ends their open sessions
    staff.active = active
    session.flush()
    record(session, actor, "staff.update", f"staff:{staff.id}", before, describe(staff))
    return staff


def disable(session: Session, actor: Staff | None, staff: Staff) -> Staff:
    """Stop an account from logging in and end its sessions (same rule as `update`)."""
    return update(
        session, actor, staff, role=staff.role, display_name=staff.display_name,
        is_clinician=staff.is_clinician, credentials=staff.credentials,
        sign_reviews=staff.sign_reviews, active=False,
    )


def set_password(session: Session, actor: Staff | None, staff: Staff, password: str) -> None:
    """Replace the password and end the account's other sessions."""
    check_password_rules(password)
    staff.password_hash = generate_password_hash(password, method="scrypt")
    staff.session_token = new_session_token()
    session.flush()
    record(session, actor, "staff.password", f"staff:{staff.id}")


def authenticate(session: Session, email: str, password: str, now: datetime) -> Staff | None:
    """The active staff member these credentials name, or None (same cost either way)."""
    staff = find(session, email)
    if staff is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(staff.password_hash, password) or not staff.active:
        return None
    staff.last_login_at = now
    return staff
