from celery import shared_task

from assessments.followups import dispatch_notices


@shared_task(ignore_result=True)
def dispatch_questionnaire_notices():
    """Beat runs this every minute: expire unanswered follow-ups, send the e-mails that are due. The
    database rows decide what is due, so a missed or doubled run neither loses nor repeats an e-mail."""
    return dispatch_notices()
