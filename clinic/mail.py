"""E-mail for a laptop: each message is written to a file under var/mail/ and echoed to the console,
so an invitation link can be opened without an SMTP server."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class FileAndConsoleBackend(FileBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        ConsoleBackend(fail_silently=self.fail_silently).send_messages(email_messages)
        return sent


def send_with_message_id(subject, text, html, recipient, *, message_id=None):
    """Send one e-mail (text and HTML). With the outbox row's `message_id`, a resend after a crash
    carries the same Message-ID as the first try, so a receiving system can drop the copy."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    headers = {"Message-ID": message_id} if message_id else None
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [recipient], headers=headers)
    message.attach_alternative(html, "text/html")
    return message.send()
