from celery import shared_task

from sessions.services import dispatch_due


@shared_task(ignore_result=True)
def dispatch_reminders():
    """Beat runs this every minute; the database rows decide what is due, so a missed or doubled
    run neither loses nor repeats a reminder."""
    return dispatch_due()
