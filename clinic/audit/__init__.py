"""The audit trail: who read or changed which patient's record, sign-ins, MFA and role changes.

models.py holds the append-only table, trail.py records events (``record()``) and the middleware
that accounts for every patient-scoped request, signals.py the sign-in, MFA and role receivers.
"""
