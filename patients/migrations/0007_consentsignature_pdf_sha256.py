"""Every signed consent PDF gets the SHA-256 of its stored file.

Files stored before this migration are hashed as they are now: a copy damaged earlier cannot be told
apart, but any change from here on can. A file already missing keeps a blank checksum and is named
(by the signature's external id and date, never the patient) so it can be restored from a backup;
`manage.py check_media` reports it too.
"""

import hashlib

from django.core.files.storage import default_storage
from django.db import migrations, models

BATCH = 500
CHUNK_BYTES = 1024 * 1024


def _sha256(name):
    digest = hashlib.sha256()
    try:
        with default_storage.open(name, "rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def record_checksums(apps, schema_editor):
    signature_model = apps.get_model("patients", "ConsentSignature")
    pending = signature_model.objects.exclude(pdf="").filter(pdf_sha256="").order_by("pk")
    missing = []
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last).only("pk", "external_id", "signed_at", "pdf")[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        for signature in batch:
            checksum = _sha256(signature.pdf.name)
            if checksum is None:
                missing.append(f"{signature.external_id} (signed {signature.signed_at:%Y-%m-%d})")
            signature.pdf_sha256 = checksum or ""
        signature_model.objects.bulk_update(batch, ["pdf_sha256"])
    if missing:
        print(
            f"\n  {len(missing)} signed consent PDF(s) missing from media; their checksum stays blank. "
            "Restore them from a backup (manage.py restore), then run manage.py check_media:\n    "
            + "\n    ".join(missing)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0006_settings_from_clinic"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentsignature",
            name="pdf_sha256",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Checksum of the signed PDF, written with it; blank when no copy could be checked "
                "(the file was already missing when checksums were first computed). `manage.py check_media` "
                "compares every stored file with it.",
                max_length=64,
                verbose_name="PDF SHA-256",
            ),
        ),
        migrations.RunPython(record_checksums, migrations.RunPython.noop, elidable=True),
    ]
