"""E-mail for a laptop: each message is written to a file under var/mail/ and echoed to the console,
so an invitation link can be opened without an SMTP server."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class FileAndConsoleBackend(FileBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        ConsoleBackend(fail_silently=self.fail_silently).send_messages(email_messages)
        return sent
