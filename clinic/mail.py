"""E-mail for a laptop: each message is written to a file under var/mail/ and echoed to the console,
so an invitation link can be opened without an SMTP server."""

import threading
from contextlib import contextmanager

from django.core.mail import get_connection
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class FileAndConsoleBackend(FileBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        ConsoleBackend(fail_silently=self.fail_silently).send_messages(email_messages)
        return sent


_shared = threading.local()


@contextmanager
def one_connection():
    """Inside this block, every e-mail this thread sends goes over one connection to the mail server,
    opened at the first message: a dispatcher run sends hundreds, and a connection each (TCP, TLS,
    EHLO, log-in) would cost more than the message. After a failed send the connection is dropped and
    the next message opens a new one."""
    connection = get_connection()
    _shared.connection = connection
    try:
        yield
    finally:
        _shared.connection = None
        connection.close()


def send_with_message_id(subject, text, html, recipient, *, message_id=None):
    """Send one e-mail (text and HTML). With the outbox row's `message_id`, a resend after a crash
    carries the same Message-ID as the first try, so a receiving system can drop the copy."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    connection = getattr(_shared, "connection", None)
    headers = {"Message-ID": message_id} if message_id else None
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [recipient], headers=headers, connection=connection
    )
    message.attach_alternative(html, "text/html")
    if connection is None:
        return message.send()
    try:
        # Opened here rather than by the backend, which would close it again after this message.
        if getattr(connection, "connection", True) is None:
            connection.open()
        return message.send()
    except Exception:
        connection.close()
        raise
