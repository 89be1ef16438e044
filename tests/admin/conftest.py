import pyotp
import pytest


@pytest.fixture
def make_admin(make_staff):
    """An admin who has turned on two-factor sign-in (admins must, before any staff page)."""
    return lambda **overrides: make_staff("admin", totp_secret=pyotp.random_base32(32), **overrides)


@pytest.fixture
def admin(make_admin):
    return make_admin()
