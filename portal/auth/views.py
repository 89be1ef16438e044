"""Customer sign-in by e-mail link and sign-out."""

from flask import current_app, flash, redirect, render_template, request, url_for

from portal.auth import bp, tokens
from portal.auth.customers import (
    current_customer,
    normalise_email,
    request_signin_link,
    sign_in,
    sign_out,
)
from portal.auth.forms import SigninForm
from portal.extensions import db, limiter
from portal.i18n import gettext as _
from portal.models import Customer
from portal.redirects import safe_next


def _ip_key():
    return f"signin-ip:{request.remote_addr or ''}"


def _address_key():
    return f"signin-address:{normalise_email(request.form.get('email'))[:254]}"


@bp.app_context_processor
def customer_context():
    return {"current_customer": current_customer}


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_LIMIT_PER_IP"], key_func=_ip_key, methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_LIMIT_PER_ADDRESS"], key_func=_address_key, methods=["POST"])
def signin():
    """Ask for an e-mail address and send a sign-in link; the answer never tells whether it is ours."""
    form = SigninForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
    if form.validate_on_submit():
        request_signin_link(form.email.data, form.next.data)
        db.session.commit()
        return redirect(url_for("auth.signin_sent"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/signin.html", form=form), status


@bp.get("/signin/sent")
def signin_sent():
    """The same page whether or not the address belongs to a customer."""
    return render_template("auth/signin_sent.html")


@bp.route("/signin/<token>", methods=["GET", "POST"])
def signin_link(token):
    """GET asks to confirm (mail scanners that fetch links sign nobody in); POST signs in once."""
    next_path = safe_next(request.values.get("next"), "")
    try:
        if request.method == "GET":
            tokens.check(token, "signin")
            return render_template("auth/signin_confirm.html", token=token, next_path=next_path)
        customer = db.session.get(Customer, tokens.redeem(token, "signin"))
        if customer is None or customer.anonymised_at is not None:
            raise tokens.LinkRefused("unknown")
    except tokens.LinkRefused as refused:
        db.session.rollback()
        return render_template("auth/link_refused.html", reason=refused.reason, form=SigninForm()), 410
    db.session.commit()
    sign_in(customer)
    flash(_("You are signed in as %(email)s.", email=customer.email), "success")
    return redirect(next_path or url_for("account.index"))


@bp.post("/signout")
def signout():
    """End the session, guest order access included."""
    sign_out()
    flash(_("You are signed out."), "success")
    return redirect(url_for("home.index"))
