import io

import pytest

from sessions.scheduling import sms
from sessions.scheduling.sms import (
    BaseSmsBackend,
    ConsoleBackend,
    LocmemBackend,
    SmsMessage,
    get_backend,
    normalize_phone,
    send_sms,
)


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def test_console_backend_writes_one_line_per_message():
    stream = io.StringIO()
    backend = ConsoleBackend(stream=stream)
    count = backend.send_messages(
        [
            SmsMessage(to="+15550101234", body="Reminder: appointment Tue 10:00"),
            SmsMessage(to="+15550105678", body="Reply C to confirm"),
        ]
    )
    assert count == 2
    assert stream.getvalue() == (
        "SMS to +15550101234: Reminder: appointment Tue 10:00\nSMS to +15550105678: Reply C to confirm\n"
    )


def test_console_backend_defaults_to_stdout(capsys):
    assert send_sms("+15550101234", "See you tomorrow", backend=ConsoleBackend()) == 1
    assert capsys.readouterr().out == "SMS to +15550101234: See you tomorrow\n"


class _BrokenStream(io.StringIO):
    def write(self, s):
        raise OSError("stream closed")


def test_console_backend_raises_unless_fail_silently():
    with pytest.raises(OSError, match="stream closed"):
        ConsoleBackend(stream=_BrokenStream()).send_messages([SmsMessage("+15550101234", "hi")])
    quiet = ConsoleBackend(fail_silently=True, stream=_BrokenStream())
    assert quiet.send_messages([SmsMessage("+15550101234", "hi")]) == 0


def test_locmem_backend_appends_to_outbox():
    backend = LocmemBackend()
    assert backend.send_messages([SmsMessage("+15550101234", "one"), SmsMessage("+15550105678", "two")]) == 2
    assert send_sms("+15550109999", "three", backend=backend) == 1
    assert sms.outbox == [
        SmsMessage("+15550101234", "one"),
        SmsMessage("+15550105678", "two"),
        SmsMessage("+15550109999", "three"),
    ]


def test_base_backend_is_abstract():
    with pytest.raises(NotImplementedError):
        BaseSmsBackend().send_messages([SmsMessage("+15550101234", "hi")])


def test_get_backend_by_path_passes_kwargs():
    stream = io.StringIO()
    backend = get_backend("sessions.scheduling.sms.ConsoleBackend", stream=stream, fail_silently=True)
    assert type(backend) is ConsoleBackend
    assert backend.stream is stream
    assert backend.fail_silently is True
    assert type(get_backend("sessions.scheduling.sms.LocmemBackend")) is LocmemBackend


def test_get_backend_uses_setting(settings):
    settings.SMS_BACKEND = "sessions.scheduling.sms.LocmemBackend"
    assert type(get_backend()) is LocmemBackend
    assert send_sms("+15550101234", "Your appointment is tomorrow at 10:00") == 1
    assert sms.outbox == [SmsMessage("+15550101234", "Your appointment is tomorrow at 10:00")]


def test_get_backend_defaults_to_console_without_setting(settings):
    if hasattr(settings, "SMS_BACKEND"):
        del settings.SMS_BACKEND
    assert type(get_backend()) is ConsoleBackend


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("sessions.no_such_module.Backend", "sessions.no_such_module"),
        ("sessions.scheduling.sms.NoSuchBackend", "'NoSuchBackend'"),
        ("ConsoleBackend", "not a dotted path"),
    ],
)
def test_unknown_backend_path_raises_clear_import_error(path, detail):
    with pytest.raises(ImportError) as excinfo:
        get_backend(path)
    message = str(excinfo.value)
    assert f"SMS backend {path!r}" in message
    assert detail in message


def test_unknown_backend_in_setting_names_the_setting(settings):
    settings.SMS_BACKEND = "sessions.scheduling.sms.Typo"
    with pytest.raises(ImportError, match="SMS_BACKEND"):
        send_sms("+15550101234", "hi")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5550101234", "+15550101234"),
        ("(555) 010-1234", "+15550101234"),
        ("555.010.1234", "+15550101234"),
        (" 555 010 1234 ", "+15550101234"),
        ("1-555-010-1234", "+15550101234"),
        ("15550101234", "+15550101234"),
        ("+1 (555) 010-1234", "+15550101234"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_normalize_phone(text, expected):
    assert normalize_phone(text) == expected


def test_normalize_phone_other_default_country():
    assert normalize_phone("2079460958", default_country="44") == "+442079460958"
    assert normalize_phone("44 20 7946 0958", default_country="44") == "+442079460958"
    # A national trunk prefix is not guessed at: the caller must write +44.
    with pytest.raises(ValueError, match="unclear country code"):
        normalize_phone("020 7946 0958", default_country="44")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "at least 10 digits"),
        ("555-0101", "at least 10 digits"),
        ("555 010 123", "at least 10 digits"),
        ("+1 555 0101", "at least 10 digits"),
        ("+1 555 010 1234 5678 9", "at most 15 digits"),
        ("555-010-1234 ext 12", "not a phone number"),
        ("1-800-FLOWERS", "not a phone number"),
        ("555+0101234", "not a phone number"),
        ("25550101234", "unclear country code"),
        ("055 010 1234", "North American"),
    ],
)
def test_normalize_phone_rejects(text, match):
    with pytest.raises(ValueError, match=match):
        normalize_phone(text)


def test_a_backend_named_by_its_path_before_scheduling_moved_still_loads():
    assert isinstance(sms.get_backend("sessions.sms.LocmemBackend"), sms.LocmemBackend)
