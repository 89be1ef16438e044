"""Admin pages: the staff list (leads read it), invitations, roles and deactivation (admins only); the settings
(leads and admins)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal import settings
from portal.admin import bp, service
from portal.admin.forms import ROLE_LABELS, InviteForm, RoleForm
from portal.auth.staff import current_staff, staff_required
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.models import Staff

REFUSALS = {
    "email_taken": _l("That address already has a staff account."),
    "self": _l("You cannot change or switch off your own account; ask another admin."),
    "role": _l("Choose a role."),
}


def _staff_or_404(staff_id):
    staff = db.session.get(Staff, staff_id)
    if staff is None:
        abort(404)
    return staff


def _list_page(invite_form=None, error=None, status=200):
    return render_template("admin/staff.html", accounts=service.staff_accounts(), me=current_staff(),
                           invite_form=invite_form or InviteForm(formdata=None), role_labels=ROLE_LABELS,
                           role_choices=list(ROLE_LABELS.items()), error=error), status


@bp.get("/admin")
@bp.get("/admin/staff")
@staff_required("lead")
def staff_list():
    """Every staff account with its role, state and last sign-in."""
    return _list_page()


@bp.post("/admin/staff/invite")
@staff_required("admin")
def invite():
    """Invite someone by e-mail; they choose their password from the link."""
    form = InviteForm()
    if not form.validate():
        return _list_page(invite_form=form, status=400)
    try:
        staff = service.invite(current_staff(), form.email.data, form.name.data or "", form.role.data)
    except service.AdminRefused as refused:
        return _list_page(invite_form=form, error=REFUSALS[refused.reason], status=400)
    db.session.commit()
    flash(_("Invitation sent to %(email)s.", email=staff.email), "success")
    return redirect(url_for("admin.staff_list"))


@bp.post("/admin/staff/<int:staff_id>/role")
@staff_required("admin")
def change_role(staff_id):
    """Give an account another role."""
    staff, form = _staff_or_404(staff_id), RoleForm()
    if not form.validate():
        return _list_page(error=REFUSALS["role"], status=400)
    try:
        service.change_role(current_staff(), staff, form.role.data)
    except service.AdminRefused as refused:
        return _list_page(error=REFUSALS[refused.reason], status=400)
    db.session.commit()
    flash(_("%(email)s is now: %(role)s.", email=staff.email, role=ROLE_LABELS[staff.role]), "success")
    return redirect(url_for("admin.staff_list"))


@bp.post("/admin/staff/<int:staff_id>/deactivate")
@staff_required("admin")
def deactivate(staff_id):
    """Switch an account off: signed out everywhere, open cases back to the queue."""
    staff = _staff_or_404(staff_id)
    try:
        cases = service.deactivate(current_staff(), staff)
    except service.AdminRefused as refused:
        return _list_page(error=REFUSALS[refused.reason], status=400)
    db.session.commit()
    flash(_("%(email)s is switched off; %(count)d open cases went back to the queue.", email=staff.email,
            count=len(cases)), "success")
    return redirect(url_for("admin.staff_list"))


@bp.post("/admin/staff/<int:staff_id>/reactivate")
@staff_required("admin")
def reactivate(staff_id):
    """Switch an account back on."""
    staff = _staff_or_404(staff_id)
    service.reactivate(current_staff(), staff)
    db.session.commit()
    flash(_("%(email)s can sign in again.", email=staff.email), "success")
    return redirect(url_for("admin.staff_list"))


@bp.route("/admin/settings", methods=["GET", "POST"])
@staff_required("lead")
def settings_page():
    """SLA targets and clocks, business hours and holidays: the current values and their history."""
    values, errors, status = settings.form_values(), {}, 200
    if request.method == "POST":
        submitted = {key: request.form.get(key) for key in settings.SETTINGS if key in request.form}
        changed, errors = settings.change(current_staff(), submitted)
        if not errors:
            db.session.commit()
            flash(ngettext("%(num)d setting changed; it applies to cases opened from now on.",
                           "%(num)d settings changed; they apply to cases opened from now on.", len(changed)),
                  "success")
            return redirect(url_for("admin.settings_page"))
        values, status = dict(values, **submitted), 400
    return render_template("admin/settings.html", values=values, errors=errors, settings=settings,
                           history=settings.history()), status
