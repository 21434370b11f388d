"""What the assessments layer tells the layers above it, without importing them.

``assignment_closed`` is sent inside the transaction that answers or withdraws a questionnaire
assignment, so a receiver's writes (sessions.integration cancels the follow-up's unsent e-mails) commit
or roll back with it. Arguments: ``assignment_ids``, the primary keys of the closed assignments.
"""

from django.dispatch import Signal

assignment_closed = Signal()
