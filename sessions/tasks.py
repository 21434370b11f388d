from celery import shared_task

from clinic import outbox, queue
from sessions.integration.followups import dispatch_notices
from sessions.models import QuestionnaireNotice, Reminder
from sessions.scheduling.booking import dispatch_due


@shared_task(bind=True, ignore_result=True)
def dispatch_reminders(self, fan_out=True):
    """Beat runs this every minute; each run sends every due reminder, batch after batch, for up to
    50 s (clinic.outbox.BUDGET). The database rows decide what is due, so a missed or doubled run
    neither loses nor repeats a reminder. With a backlog it first starts helpers (OUTBOX_DISPATCHERS),
    which share the rows without sending any twice."""
    if fan_out:
        _start_helpers(self, Reminder)
    return dispatch_due()


# Named as it was before follow-ups moved here from the assessments app, so a beat schedule or a
# message already queued under that name still finds it.
@shared_task(bind=True, name="assessments.tasks.dispatch_questionnaire_notices", ignore_result=True)
def dispatch_questionnaire_notices(self, fan_out=True):
    """Beat runs this every minute: expire unanswered follow-ups, send the e-mails that are due. The
    database rows decide what is due, so a missed or doubled run neither loses nor repeats an e-mail.
    With a backlog it first starts helpers, as dispatch_reminders does."""
    if fan_out:
        _start_helpers(self, QuestionnaireNotice)
    return dispatch_notices()


def _start_helpers(task, model):
    """Helpers run without fanning out themselves, on the queue this run came from (so the same
    workers take them). A broker that went away since only means no helpers this minute."""
    queue_name = (task.request.delivery_info or {}).get("routing_key")
    options = {"queue": queue_name} if queue_name else {}
    for _ in range(outbox.extra_dispatchers(model)):
        queue.send_task(task, False, **options)
