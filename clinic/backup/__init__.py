"""Backup and restore of the database and the media files together (manage.py backup / restore).

One archive holds both, because a consent signature row without its signed PDF, or a PDF without its
row, is a broken record. See README: Backup and restore.
"""


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""
