from patients import alerts


def open_alerts(request):
    """The menu badge: open alerts of the kinds this user may see (patients.alerts)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not alerts.kinds(user):
        return {"open_alert_count": 0}
    return {"open_alert_count": lambda: alerts.open_total(user)}
