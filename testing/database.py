"""The test database as the migrations left it, for fixtures that build data once per module."""

from django.db import connection


def restore_migrated_rows():
    """Put back what the migrations wrote (roles, instruments, settings rows) when a transactional test
    run earlier emptied the tables. pytest-django runs tests that use no per-test database after the
    transactional ones, and only a test marked serialized_rollback restores the rows at its own start:
    a module-scoped fixture that opens the database itself must do it. Call it inside the fixture's
    transaction, which rolls it back with everything else."""
    from django.contrib.auth.models import Group

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents and not Group.objects.exists():
        connection.creation.deserialize_db_from_string(contents)
