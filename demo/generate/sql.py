"""The two helpers every step of the generator uses: a timed, counted step and a statement run."""

import time


class Step:
    """Times a step and prints its row counts: ``with Step(out, "patients") as step: step.rows += n``."""

    def __init__(self, out, name):
        self.out, self.name, self.rows = out, name, 0

    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            seconds = time.monotonic() - self.started
            self.out(f"  {self.name:<34} {self.rows:>10,} rows  {seconds:6.1f} s")


def run(cursor, sql, params=None):
    cursor.execute(sql, params or {})
    return max(cursor.rowcount, 0)
