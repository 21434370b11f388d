"""`python manage.py export_research --out DIR`: the de-identified outcomes dataset (HIPAA Safe Harbor) as
CSV files and a data dictionary in DIR (docs/research-dataset.md); each run recorded in the audit trail."""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from clinic.audit.models import AuditAction
from clinic.audit.trail import record
from interop.research import write_dataset
from interop.research.columns import FILES


class Command(BaseCommand):
    help = "Write the de-identified research dataset (HIPAA Safe Harbor) as CSV files with a data dictionary."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="DIR", help="Folder for the CSV files.")
        parser.add_argument(
            "--replace", action="store_true", help="Overwrite a dataset already in DIR (its CSV files)."
        )

    def handle(self, *args, out, replace=False, **options):
        existing = [
            name for name in [*FILES, "data_dictionary.csv"] if os.path.exists(os.path.join(out, name))
        ]
        if existing and not replace:
            raise CommandError(
                f"{out} already holds a dataset ({', '.join(existing)}): use --replace or another folder."
            )
        record(
            AuditAction.EXPORT,
            object_type="De-identified research dataset",
            detail=f"manage.py export_research --out {out} run by {_os_user()}",
        )
        counts = write_dataset(
            out, progress=lambda n: self.stderr.write(f"{n} patients written", ending="\r")
        )
        self.stdout.write(
            "Finished: "
            + ", ".join(f"{name} {count} rows" for name, count in counts.items())
            + f"; in {out}."
        )


def _os_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "an unknown system user"
