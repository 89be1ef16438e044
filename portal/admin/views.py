"""Admin pages: the staff list (leads read it), invitations, roles and deactivation (admins only); the settings
and the audit log (leads and admins)."""

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for

from portal import settings
from portal.admin import audit, bp, service
from portal.admin.forms import ROLE_LABELS, InviteForm, RoleForm, error_summary
from portal.auth.staff import current_staff, staff_required
from portal.extensions import db
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.i18n import ngettext
from portal.lead.views import _csv_cell as csv_cell  # one formula guard for every CSV export
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
    invite_form = invite_form or InviteForm(formdata=None)
    return render_template("admin/staff.html", accounts=service.staff_accounts(), me=current_staff(),
                           invite_form=invite_form, invite_errors=error_summary(invite_form, "invite"),
                           role_labels=ROLE_LABELS, role_choices=list(ROLE_LABELS.items()), error=error), status


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
        # Both refusals are about what was typed in one field: the message goes next to it.
        field = form.email if refused.reason == "email_taken" else form.role
        field.errors = [*field.errors, REFUSALS[refused.reason]]
        return _list_page(invite_form=form, status=400)
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
    """SLA targets and clocks, business hours and holidays, repair and callback booking hours: the current values
    and their history."""
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


FILTER_ERRORS = {
    "staff": _l("Choose a staff member from the list."),
    "kind": _l("Choose a kind of action from the list."),
    "case": _l("Case references look like C-7K2M9QXA."),
    "from": _l("Dates are written like 2026-03-31."),
    "to": _l("Write the last day like 2026-03-31, on or after the first day."),
}


def _audit_filters():
    try:
        return audit.read_filters(request.args), None
    except audit.FilterRefused as refused:
        return audit.Filters(), refused.field


@bp.get("/admin/audit")
@staff_required("lead")
def audit_log():
    """Every staff action, case change, reveal, settings change and sign-in, newest first, filtered."""
    filters, bad_field = _audit_filters()
    status = 400 if bad_field else 200
    return render_template("admin/audit.html", rows=[] if bad_field else audit.rows(filters), filters=filters,
                           args=request.args, bad_field=bad_field, error=FILTER_ERRORS.get(bad_field),
                           kinds=audit.KINDS, page_size=audit.PAGE_SIZE,
                           staff_accounts=service.staff_accounts()), status


@bp.get("/admin/audit.csv")
@staff_required("lead")
def audit_csv():
    """The filtered audit log as CSV (formulas neutralised), at most CSV_LIMIT rows."""
    filters, bad_field = _audit_filters()
    if bad_field:
        abort(400, FILTER_ERRORS[bad_field])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("When (UTC)"), _("Who"), _("What"), _("Case"), _("Detail")])
    for row in audit.rows(filters, limit=audit.CSV_LIMIT):
        writer.writerow([csv_cell(value) for value in (row.when.isoformat(timespec="seconds"), row.who, row.what,
                                                       row.case, row.detail)])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit_log.csv"'})
