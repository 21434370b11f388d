"""manage.py check_media: every stored file against the SHA-256 recorded when it was written."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError

from clinic.stored_files import FileState, checksummed_fields, state_of, unchecked_file_fields


class Command(BaseCommand):
    help = (
        "Verify every stored file (signed consent PDFs) against the SHA-256 recorded when it was written; "
        "list the missing and altered ones by record id and date, and exit with status 1 if there are any. "
        "Read-only. See README: Stored files are checked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="rows read per query (default 1000)")
        parser.add_argument(
            "--workers",
            type=int,
            default=4,
            help="files hashed at once (default 4); hashing is I/O-bound, so threads overlap the reads",
        )

    def handle(self, *args, batch_size, workers, verbosity, **options):
        if batch_size < 1 or workers < 1:
            raise CommandError("--batch-size and --workers must be at least 1.")
        started = time.monotonic()
        totals = Counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for entry in checksummed_fields():
                counts = self._check_field(entry, batch_size, pool)
                totals.update(counts)
                if verbosity >= 1:
                    self.stdout.write(f"{entry.label}: {_summary(counts)}")
        for label in unchecked_file_fields():
            self.stderr.write(f"{label} has no checksum field ({label}_sha256): its files are not checked.")
        elapsed = time.monotonic() - started
        checked = sum(totals.values())
        self.stdout.write(
            f"Checked {checked} stored files in {elapsed:.1f} s"
            f" ({checked / elapsed if elapsed else 0:.0f} files/s): {_summary(totals)}."
        )
        if totals[FileState.UNRECORDED]:
            self.stdout.write(
                "Files without a recorded checksum were missing when checksums were first computed and have "
                "been put back since; they are present but cannot be verified."
            )
        bad = totals[FileState.MISSING] + totals[FileState.ALTERED]
        if bad:
            raise CommandError(
                f"{bad} stored file(s) missing or not matching their checksum. The records themselves are "
                "intact: restore the files from a backup (manage.py restore; README: Backup and restore)."
            )

    def _check_field(self, entry, batch_size, pool):
        model, name, checksum = entry.model, entry.file_field.name, entry.checksum_field
        has_external_id = any(field.name == "external_id" for field in model._meta.concrete_fields)
        columns = ["pk", name, checksum, "external_id" if has_external_id else "pk", entry.date_field or "pk"]
        rows = model._base_manager.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True}).order_by("pk")
        storage = entry.file_field.storage
        counts = Counter()
        last = None
        while True:
            page = rows if last is None else rows.filter(pk__gt=last)
            batch = list(page.values_list(*columns)[:batch_size])
            if not batch:
                return counts
            last = batch[-1][0]
            states = pool.map(lambda row: state_of(storage, row[1], row[2]), batch)
            for (_pk, _name, _checksum, reference, dated), state in zip(batch, states, strict=True):
                counts[state] += 1
                if state.bad:
                    when = f" of {dated:%Y-%m-%d}" if entry.date_field and dated else ""
                    # Record ids and dates only: a file name could one day carry a patient's name.
                    self.stdout.write(f"{state.value.upper()}: {model._meta.label} {reference}{when}")


def _summary(counts):
    return ", ".join(f"{counts[state]} {state.value}" for state in FileState)
