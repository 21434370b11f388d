"""Earlier charts in the new shape.

- A hold override given with the order (``hold_override_reason``) becomes a SafetyOverride at the time of
  the order, covering the holds that the order's check saw (their keys are not known any more: the
  override is kept for the record and covers no current stop).
- An esketamine chart given before devices were charted one by one showed "N × 28 mg, 5 minutes apart"
  from the first device: that is what it recorded, so each device gets its row at those times.
"""

from datetime import timedelta

from django.db import migrations


def forwards(apps, schema_editor):
    TreatmentSession = apps.get_model("treatment_sessions", "TreatmentSession")
    SafetyOverride = apps.get_model("treatment_sessions", "SafetyOverride")
    EsketamineDevice = apps.get_model("treatment_sessions", "EsketamineDevice")
    for session in TreatmentSession.objects.exclude(hold_override_reason="").filter(ordered_at__isnull=False):
        SafetyOverride.objects.create(
            session=session,
            kind="hold",
            reason=session.hold_override_reason,
            covers=[{"key": "order", "text": "Pre-dose hold when the dose was ordered"}],
            by_id=session.ordered_by_id,
            at=session.ordered_at,
        )
    given = TreatmentSession.objects.filter(
        route="intranasal", dose_started_at__isnull=False, ordered_devices__isnull=False
    )
    for session in given:
        for number in range(1, session.ordered_devices + 1):
            at = session.dose_started_at + timedelta(minutes=5 * (number - 1))
            EsketamineDevice.objects.get_or_create(
                session=session,
                number=number,
                defaults={
                    "taken_at": at,
                    "recorded_at": at,
                    "recorded_by_id": session.administered_by_id,
                    "lot_number": session.lot_number,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("treatment_sessions", "0005_safety_overrides_devices_dilution")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
