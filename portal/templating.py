"""Every Jinja filter and global the templates use, registered in one place once the blueprints are in."""

from portal import formatting, i18n, settings


def install(app):
    """Translation functions, money and date filters, and each journey's words for its stored codes."""
    from portal.agent import live
    from portal.agent import views as agent_views
    from portal.assistant.views import assistant_reason
    from portal.cases.views import reason_text
    from portal.lead.views import table_moment
    from portal.ops.views import alert_kind, alert_subject, open_alert_episodes, row_state

    i18n.install_template_helpers(app)
    app.jinja_env.filters.update(
        formatting.FILTERS,
        table_moment=table_moment, reason_text=reason_text, assistant_reason=assistant_reason,
        countdown=agent_views.countdown, age=agent_views.age, label=agent_views.label,
        case_category=agent_views.case_category, case_outcome=agent_views.case_outcome,
        event_text=agent_views.event_text, alert_kind=alert_kind, alert_subject=alert_subject,
        row_state=row_state)
    app.jinja_env.globals.update(zone_name=formatting.zone_name, response_promise=settings.response_promise,
                                 open_alert_episodes=open_alert_episodes, last_message_id=live.last_message_id)
