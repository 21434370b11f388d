"""SMS sending through a pluggable backend, modelled on Django's email backends.

The backend is chosen by the ``SMS_BACKEND`` setting, a dotted path to a class; without the setting it
is ``sessions.scheduling.sms.ConsoleBackend``. Two backends ship here:

- ``sessions.scheduling.sms.ConsoleBackend`` writes ``SMS to <to>: <body>`` lines to a stream (stdout by default)
  for development. It sends nothing, and it puts phone numbers and message text in the process output,
  so do not leave it configured in production.
- ``sessions.scheduling.sms.LocmemBackend`` appends each message to the module-level ``outbox`` list, for tests.

Plugging in a real provider
---------------------------
Write a subclass of ``BaseSmsBackend`` anywhere importable, implement ``send_messages`` to hand each
``SmsMessage`` to the provider and return how many were accepted, and point the setting at it::

    # myclinic/sms_provider.py
    class ProviderBackend(BaseSmsBackend):
        def __init__(self, fail_silently=False, **kwargs):
            super().__init__(fail_silently=fail_silently)
            ...  # read credentials from settings / the environment, never from code

        def send_messages(self, messages):
            ...  # call the provider; on a transient failure (timeout, 5xx, rate limit)
                 # raise SmsError, which callers retry with backoff (see clinic.outbox.backoff)

    # settings
    SMS_BACKEND = "myclinic.sms_provider.ProviderBackend"

Keyword arguments given to ``get_backend`` are passed to the backend's constructor. With
``fail_silently=True`` a backend swallows errors and returns the number of messages it did send.

Message bodies carry minimal PHI: a reminder names the clinic and the time, never a diagnosis, drug or
score (see "Privacy" in the clinic's domain notes). Composing them is the caller's job, not this module's.
"""

import importlib
import re
import sys
import threading
from dataclasses import dataclass

from django.conf import settings

__all__ = [
    "BaseSmsBackend",
    "ConsoleBackend",
    "LocmemBackend",
    "SmsError",
    "SmsMessage",
    "get_backend",
    "normalize_phone",
    "outbox",
    "send_sms",
]

DEFAULT_BACKEND = "sessions.scheduling.sms.ConsoleBackend"

# Messages "sent" through LocmemBackend; tests clear it between runs.
outbox: list["SmsMessage"] = []


class SmsError(Exception):
    """A transient failure to send (provider down, timeout, rate limit): the caller should retry later."""


@dataclass
class SmsMessage:
    to: str
    body: str


class BaseSmsBackend:
    """Base class for SMS backends. Subclasses implement ``send_messages``."""

    def __init__(self, fail_silently=False, **kwargs):
        self.fail_silently = fail_silently

    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Send ``messages`` and return how many were sent."""
        raise NotImplementedError("subclasses of BaseSmsBackend must implement send_messages()")


class ConsoleBackend(BaseSmsBackend):
    """Write each message as one ``SMS to <to>: <body>`` line to ``stream`` (default ``sys.stdout``)."""

    def __init__(self, fail_silently=False, *, stream=None, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.stream = stream if stream is not None else sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, messages: list[SmsMessage]) -> int:
        sent = 0
        with self._lock:
            try:
                for message in messages:
                    self.stream.write(f"SMS to {message.to}: {message.body}\n")
                    sent += 1
                self.stream.flush()
            except Exception:
                if not self.fail_silently:
                    raise
        return sent


class LocmemBackend(BaseSmsBackend):
    """Append messages to the module-level ``outbox`` list instead of sending them."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


# Where the shipped backends lived before scheduling became a sub-package of sessions: a clinic whose
# SMS_BACKEND still names the old module keeps sending.
_MOVED_FROM = "sessions.sms."


def _import_backend(path: str):
    if path.startswith(_MOVED_FROM):
        path = __name__ + "." + path.removeprefix(_MOVED_FROM)
    module_path, _, class_name = path.rpartition(".")
    if not module_path:
        raise ImportError(f"SMS backend {path!r} is not a dotted path such as {DEFAULT_BACKEND!r}")
    try:
        module = importlib.import_module(module_path)
    except ImportError as exc:
        raise ImportError(
            f"Could not import SMS backend {path!r}: {exc} (check the SMS_BACKEND setting)"
        ) from exc
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ImportError(
            f"Could not import SMS backend {path!r}: module {module_path!r} has no {class_name!r} "
            "(check the SMS_BACKEND setting)"
        ) from None


def get_backend(path: str | None = None, **kwargs) -> BaseSmsBackend:
    """Return an instance of the backend at ``path``, or of ``settings.SMS_BACKEND`` by default."""
    if path is None:
        path = getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND)
    return _import_backend(path)(**kwargs)


def send_sms(to: str, body: str, *, backend: BaseSmsBackend | None = None) -> int:
    """Send one message through ``backend`` (default: ``get_backend()``); return how many were sent."""
    if backend is None:
        backend = get_backend()
    return backend.send_messages([SmsMessage(to=to, body=body)])


_ALLOWED = re.compile(r"[\d\s()+.\-]*")


def normalize_phone(text: str, default_country: str = "1") -> str:
    """Return ``text`` as an E.164 number such as ``"+15550101234"``.

    Spaces, dots, dashes and brackets are ignored. A number starting with ``+`` already carries its
    country code. Without ``+``, ten digits get ``default_country`` in front, and ten digits preceded by
    ``default_country`` are taken as they are. Raises ``ValueError`` for fewer than 10 digits, more than 15,
    letters or other characters (extensions, vanity numbers), or a number whose country is unclear.
    """
    if not default_country.isdigit():
        raise ValueError(f"default_country must be digits, such as '1', not {default_country!r}")
    stripped = text.strip()
    if not _ALLOWED.fullmatch(stripped) or "+" in stripped[1:]:
        raise ValueError(f"not a phone number: {text!r}")
    digits = re.sub(r"\D", "", stripped)
    if len(digits) < 10:
        raise ValueError(f"a phone number needs at least 10 digits: {text!r}")
    if len(digits) > 15:
        raise ValueError(f"a phone number has at most 15 digits: {text!r}")
    if stripped.startswith("+"):
        return f"+{digits}"
    if len(digits) == 10:
        national, number = digits, default_country + digits
    elif len(digits) == 10 + len(default_country) and digits.startswith(default_country):
        national, number = digits[len(default_country) :], digits
    else:
        raise ValueError(f"unclear country code in {text!r}: write it with + and the country code")
    if default_country == "1" and national[0] in "01":
        # North American area codes never start with 0 or 1: a digit is missing or misplaced.
        raise ValueError(f"not a valid North American number: {text!r}")
    if len(number) > 15:
        raise ValueError(f"a phone number has at most 15 digits: {text!r}")
    return f"+{number}"
