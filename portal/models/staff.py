"""Agents, support leads and the admins who run their accounts."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

from .types import UTCDateTime, utcnow

# Each role can do everything the ones before it can.
ROLES = ("agent", "lead", "admin")


class Staff(db.Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16), default="agent")
    password_hash: Mapped[str] = mapped_column(String(255))
    # Bumped on sign-out so that a copied session cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in: the TOTP secret once enrolled, the last time step accepted (a code works once) and
    # the SHA-256 of each unused recovery code.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    recovery_code_hashes: Mapped[list] = mapped_column(JSON, default=list)

    def set_password(self, password):
        from argon2 import PasswordHasher

        self.password_hash = PasswordHasher().hash(password)

    def check_password(self, password):
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error, InvalidHashError

        try:
            return PasswordHasher().verify(self.password_hash, password)
        except (Argon2Error, InvalidHashError):
            return False

    def can(self, role):
        """A lead can do everything an agent can, an admin everything a lead can."""
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)

    @property
    def invited(self):
        """Invited and not yet joined: no password set (an empty hash matches no password)."""
        return not self.password_hash

    def __repr__(self):
        return f"<Staff {self.id} {self.role}>"


class StaffSession(db.Model):
    """One signed-in browser of a staff member: what their "Your sessions" page lists and can end.

    The session cookie names its row; a row that is ended, or unseen for longer than the idle limit, signs
    nobody in, so ending it here ends that browser's session (and any copy of its cookie) on its next request.
    """

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_staff_ended", "staff_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    # Read from the User-Agent once at sign-in, e.g. "Firefox 133" and "Windows"; empty when unknown.
    browser: Mapped[str] = mapped_column(String(60), default="")
    system: Mapped[str] = mapped_column(String(60), default="")
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # signed_out, signed_in_again, ended_by_owner, deactivated, password_set
    end_reason: Mapped[str] = mapped_column(String(20), default="")

    staff = relationship("Staff")

    def __repr__(self):
        return f"<StaffSession {self.id} staff={self.staff_id}>"
