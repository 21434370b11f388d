from celery import shared_task

from sessions.integration.followups import dispatch_notices
from sessions.scheduling.booking import dispatch_due


@shared_task(ignore_result=True)
def dispatch_reminders():
    """Beat runs this every minute; each run sends every due reminder, batch after batch, for up to
    50 s (clinic.outbox.BUDGET). The database rows decide what is due, so a missed or doubled run
    neither loses nor repeats a reminder."""
    return dispatch_due()


# Named as it was before follow-ups moved here from the assessments app, so a beat schedule or a
# message already queued under that name still finds it.
@shared_task(name="assessments.tasks.dispatch_questionnaire_notices", ignore_result=True)
def dispatch_questionnaire_notices():
    """Beat runs this every minute: expire unanswered follow-ups, send the e-mails that are due. The
    database rows decide what is due, so a missed or doubled run neither loses nor repeats an e-mail."""
    return dispatch_notices()
