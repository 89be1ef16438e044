"""Staff accounts as an admin changes them; every change is an audit row naming the admin."""

from sqlalchemy import select

from portal import jobs
from portal.auth.staff import end_sessions, find_staff
from portal.casework import service as case_service
from portal.extensions import db
from portal.models import AuditEntry, Case, Staff, utcnow
from portal.models.cases import OPEN_STATUSES
from portal.models.staff import ROLES


class AdminRefused(Exception):
    """The change is not allowed; `reason` names why (the view words it)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _audit(admin, action, staff, **detail):
    db.session.add(AuditEntry(actor_type="staff", actor_id=admin.id, action=action, target_type="staff",
                              target_id=staff.id, detail=detail))


def staff_accounts():
    """Every account, admins first, then by e-mail."""
    order = {role: index for index, role in enumerate(reversed(ROLES))}
    return sorted(db.session.scalars(select(Staff)).all(), key=lambda s: (not s.active, order.get(s.role, 9), s.email))


def invite(admin, email, name, role):
    """Create an account without a password and mail its holder the link to choose one."""
    if role not in ROLES:
        raise AdminRefused("role")
    if find_staff(email) is not None:
        raise AdminRefused("email_taken")
    staff = Staff(email=email.strip().lower(), name=name.strip(), role=role, password_hash="")
    db.session.add(staff)
    db.session.flush()
    _audit(admin, "staff.invited", staff, email=staff.email, role=role)
    jobs.schedule("mail.staff_invite", staff.id, key=f"staff-invite:{staff.id}")
    return staff


def change_role(admin, staff, role):
    """Give an account another role; nobody changes their own, so an admin always remains."""
    if role not in ROLES:
        raise AdminRefused("role")
    if staff.id == admin.id:
        raise AdminRefused("self")
    if role != staff.role:
        _audit(admin, "staff.role_changed", staff, old=staff.role, new=role)
        staff.role = role


def deactivate(admin, staff):
    """Switch an account off: its sessions end at once and its open cases go back to the queue."""
    if staff.id == admin.id:
        raise AdminRefused("self")
    if not staff.active:
        return []
    staff.active = False
    staff.session_version += 1
    end_sessions(staff, "deactivated")
    now = utcnow()
    cases = db.session.scalars(select(Case).where(Case.assignee_id == staff.id,
                                                  Case.status.in_(OPEN_STATUSES))).all()
    for case in cases:
        case.assignee_id = None
        case_service.record_event(case, "assignee", staff.email, "", staff=admin, reason="account deactivated",
                                  now=now)
    _audit(admin, "staff.deactivated", staff, cases=[case.reference for case in cases])
    return cases


def reactivate(admin, staff):
    """Switch an account back on; its old sessions stay ended."""
    if not staff.active:
        staff.active = True
        _audit(admin, "staff.reactivated", staff)

