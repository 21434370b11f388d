"""Read a whole database without the ORM, and compare two readings under declared changes.

test_upgrade.py uses this to show that migrating an existing database to the current code keeps every
row. The database is read with sqlite3 or psycopg2 directly, because the ORM of either side would only
see the tables and columns its own models know about, and a lost table is exactly what we look for.
"""

import datetime
import decimal
import json
import sqlite3
import uuid
from collections import Counter
from dataclasses import dataclass, field

import psycopg2
from psycopg2 import sql

# Reading ----------------------------------------------------------------------------------------


@dataclass
class Table:
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]  # empty when the table has none: rows are then told apart by all columns
    rows: list[dict[str, object]]


Snapshot = dict[str, Table]


def normalise(value):
    """A value both backends give back alike, and that compares with == the way a person would.

    SQLite hands back int, float, str, bytes or None already. psycopg2 gives Decimal, UUID, dates and
    times, dicts and lists (json/jsonb, arrays) and memoryview (bytea): those become text, canonical
    JSON or bytes, so a snapshot is plain data that prints readably in a failure.
    """
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, decimal.Decimal | uuid.UUID | datetime.date | datetime.time | datetime.timedelta):
        return str(value)  # datetime is a date subclass
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def snapshot_sqlite(path) -> Snapshot:
    connection = sqlite3.connect(path)
    try:
        names = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        ]
        tables = {}
        for name in names:
            info = connection.execute(
                f'PRAGMA table_info("{name}")'
            ).fetchall()  # cid, name, type, notnull, default, pk
            columns = tuple(row[1] for row in info)
            primary_key = tuple(row[1] for row in sorted(info, key=lambda row: row[5]) if row[5])
            order = ", ".join(f'"{column}"' for column in primary_key or columns)
            cursor = connection.execute(f'SELECT * FROM "{name}" ORDER BY {order}')
            tables[name] = Table(columns, primary_key, _rows(cursor, columns))
        return tables
    finally:
        connection.close()


def snapshot_postgresql(**connect) -> Snapshot:
    connection = psycopg2.connect(**connect)
    try:
        connection.set_session(readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")  # timestamps print the same whatever the server's zone
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
            names = [name for (name,) in cursor.fetchall()]
            tables = {}
            for name in names:
                cursor.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
                    [name],
                )
                columns = tuple(column for (column,) in cursor.fetchall())
                cursor.execute(
                    "SELECT kcu.column_name FROM information_schema.table_constraints tc "
                    "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
                    "AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name "
                    "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() "
                    "AND tc.table_name = %s ORDER BY kcu.ordinal_position",
                    [name],
                )
                primary_key = tuple(column for (column,) in cursor.fetchall())
                cursor.execute(
                    sql.SQL("SELECT * FROM {} ORDER BY {}").format(
                        sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, primary_key or columns))
                    )
                )
                tables[name] = Table(columns, primary_key, _rows(cursor, columns))
        return tables
    finally:
        connection.close()


def _rows(cursor, columns):
    return [dict(zip(columns, map(normalise, row), strict=True)) for row in cursor.fetchall()]


# Declaring what an upgrade may change -----------------------------------------------------------


@dataclass(frozen=True)
class MovedColumn:
    """A column whose values now live in another table (or under another name).

    source and target are "table.column"; source uses the baseline's table name, target the current
    one. match = (source key column, target key column): each baseline row's value must be found in the
    target row whose key column equals the source row's key column, e.g. ("id", "id") for a singleton
    that kept its id, or ("id", "settings_id") for a new table pointing back with a foreign key.
    """

    source: str
    target: str
    match: tuple[str, str] = ("id", "id")


@dataclass
class ExpectedChanges:
    renamed_tables: dict[str, str] = field(default_factory=dict)
    moved_columns: list[MovedColumn] = field(default_factory=list)
    dropped_columns: dict[str, str] = field(default_factory=dict)  # "table.column" -> why
    relabelled_content_types: dict[tuple[str, str], str] = field(default_factory=dict)
    tables_with_new_rows: set[str] = field(default_factory=set)


# Comparing --------------------------------------------------------------------------------------


def compare(before: Snapshot, after: Snapshot, expected: ExpectedChanges) -> list[str]:
    """Every difference between the two readings that `expected` does not declare, one line each.

    Allowed without a declaration: new tables, new columns, and new rows in the tables named in
    expected.tables_with_new_rows. Everything else that the baseline had must still be there, equal.
    """
    problems = _stale_declarations(before, expected)
    dropped = {tuple(name.split(".", 1)) for name in expected.dropped_columns}
    for table, old in sorted(before.items()):
        current = expected.renamed_tables.get(table, table)
        new = after.get(current)
        if new is None:
            problems.append(f"{table}: table missing after the upgrade ({len(old.rows)} rows)")
            continue
        label = table if current == table else f"{table} (now {current})"
        kept = [column for column in old.columns if column in new.columns]
        problems += [
            f"{label}: column {column} missing after the upgrade"
            for column in old.columns
            if column not in new.columns and (table, column) not in dropped
        ]
        key_columns = old.primary_key or old.columns
        if not set(key_columns) <= set(new.columns):
            problems.append(
                f"{label}: key columns {key_columns} missing after the upgrade, rows not compared"
            )
            continue
        old_rows, new_rows = _index(old.rows, key_columns), _index(new.rows, key_columns)
        for key, row in old_rows.items():
            after_row = new_rows.get(key)
            if after_row is None:
                problems.append(f"{label} {_show_key(key_columns, key)}: row missing after the upgrade")
                continue
            want = _declared(table, row, expected)
            problems += [
                f"{label} {_show_key(key_columns, key)} {column}: before {_show(row[column])}, "
                f"after {_show(after_row[column])}"
                + (f", declared {_show(want[column])}" if want[column] != row[column] else "")
                for column in kept
                if want[column] != after_row[column]
            ]
        added = [key for key in new_rows if key not in old_rows]
        if added and not {table, current} & expected.tables_with_new_rows:
            problems.append(
                f"{label}: {len(added)} rows not in the baseline, e.g. {_show_key(key_columns, added[0])} "
                "(declare the table in TABLES_WITH_NEW_ROWS if that is intended)"
            )
    for moved in expected.moved_columns:
        problems += _check_moved(before, after, moved)
    return problems


def _declared(table, row, expected):
    """The row as the declared changes say it should read after the upgrade."""
    if table == "django_content_type":
        label = expected.relabelled_content_types.get((row["app_label"], row["model"]))
        if label:
            return {**row, "app_label": label}
    return row


def _check_moved(before, after, moved):
    source_table, source_column = moved.source.split(".", 1)
    target_table, target_column = moved.target.split(".", 1)
    source_key, target_key = moved.match
    where = f"{moved.source} -> {moved.target}"
    target = after.get(target_table)
    if source_table not in before:
        return []  # reported as a stale declaration
    if target is None or target_column not in target.columns or target_key not in target.columns:
        return [f"{where}: {target_table} has no columns {target_column} and {target_key} after the upgrade"]
    by_key = {}
    for row in target.rows:
        by_key.setdefault(row[target_key], []).append(row)
    problems = []
    for row in before[source_table].rows:
        matches = by_key.get(row[source_key], [])
        found = f"{source_key}={_show(row[source_key])}"
        if len(matches) != 1:
            problems.append(
                f"{where} {found}: {len(matches)} rows with {target_key}={_show(row[source_key])}"
            )
        elif matches[0][target_column] != row[source_column]:
            problems.append(
                f"{where} {found}: before {_show(row[source_column])}, after {_show(matches[0][target_column])}"
            )
    return problems


def _stale_declarations(before, expected):
    """A declaration naming something the baseline never had is a typo or out of date: say so."""
    problems = [
        f"RENAMED_TABLES: the baseline has no table {table}"
        for table in expected.renamed_tables
        if table not in before
    ]
    columns = [(name, "DROPPED_COLUMNS") for name in expected.dropped_columns]
    columns += [(moved.source, "MOVED_COLUMNS") for moved in expected.moved_columns]
    columns += [
        (f"{moved.source.split('.')[0]}.{moved.match[0]}", "MOVED_COLUMNS match")
        for moved in expected.moved_columns
    ]
    for name, where in columns:
        table, _, column = name.partition(".")
        if table not in before or column not in before[table].columns:
            problems.append(f"{where}: the baseline has no column {name}")
    content_types = before.get("django_content_type")
    known = {(row["app_label"], row["model"]) for row in content_types.rows} if content_types else set()
    problems += [
        f"RELABELLED_CONTENT_TYPES: the baseline has no content type {label}.{model}"
        for label, model in expected.relabelled_content_types
        if (label, model) not in known
    ]
    return problems


def _index(rows, key_columns):
    """Rows by key. Without a primary key the key is the whole row, so a repeat gets a count as well."""
    seen = Counter()
    indexed = {}
    for row in rows:
        key = tuple(row[column] for column in key_columns)
        seen[key] += 1
        indexed[key if seen[key] == 1 else (*key, f"#{seen[key]}")] = row
    return indexed


def _show_key(columns, key):
    shown = " ".join(f"{column}={_show(value)}" for column, value in zip(columns, key, strict=False))
    return " ".join([shown, *key[len(columns) :]])  # and the count of a repeated row without a key


def _show(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report(problems, limit=10):
    """The first `limit` problems, one a line, and how many more there were."""
    lines = problems[:limit]
    if len(problems) > limit:
        lines.append(f"… and {len(problems) - limit} more")
    return "\n".join(lines)
