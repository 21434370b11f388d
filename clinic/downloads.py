"""Names of the files Clinic hands out (PDFs, CSV exports).

A file name ends up where the file goes: the Downloads folder, a print queue, an e-mail attachment,
a shared drive's listing. It says what the document is and when, and ends with the first 8
characters of the object's random external id so that two documents of one day differ, but it never
carries a patient's name or birth date.
"""

from django.utils.text import slugify


def document_filename(kind, day, external_id, extension="pdf"):
    """ "session-record-2026-12-03-1a2b3c4d.pdf" for ("Session record", that day, the session's id)."""
    return f"{slugify(kind)}-{day:%Y-%m-%d}-{str(external_id)[:8]}.{extension}"
