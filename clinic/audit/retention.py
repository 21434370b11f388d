"""Deleting audit events older than the retention period (Clinic settings; six years at least)."""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from clinic.audit.models import AuditEvent
from clinic.models import ClinicSettings


def retention_cutoff(now=None):
    years = max(ClinicSettings.load().audit_retention_years, 6)
    return (now or timezone.now()) - timedelta(days=round(365.25 * years))


def purge_expired(now=None):
    """Delete the events older than the retention period; returns how many went. The only delete
    the PostgreSQL trigger lets through (it checks the six-year floor itself)."""
    cutoff = retention_cutoff(now)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL clinic.audit_purge = 'on'")
        cursor.execute(f"DELETE FROM {table} WHERE at < %s", [cutoff])  # noqa: S608 (a quoted table name)
        return cursor.rowcount
