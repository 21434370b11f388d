"""Strict reading of settings from the environment.

A value that is present but malformed stops start-up with ImproperlyConfigured naming the
variable: a typo such as DEBUG=flase must never quietly become False.
"""

import os
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
DATABASE_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql"}


def _raw(name):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name, default=None):
    value = _raw(name)
    return default if value is None else value


def env_bool(name, default):
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of "
        f"{', '.join(sorted(TRUE_WORDS))} or {', '.join(sorted(FALSE_WORDS))}."
    )


def env_int(name, default, minimum=None, maximum=None):
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(f"{name}={number} is outside {minimum}..{maximum}.")
    return number


def env_list(name, default):
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_database(name, default):
    value = _raw(name) or default
    scheme = urlsplit(value).scheme
    if scheme not in DATABASE_SCHEMES:
        raise ImproperlyConfigured(f"{name} must be a postgres:// or sqlite:// URL, got scheme {scheme!r}.")
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except (ValueError, dj_database_url.UnknownSchemeError) as error:
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {error}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database.")
    return config


def env_email(name, default_folder):
    """Email delivery from a URL.

    Unset: every message is written under default_folder and echoed to the console.
    smtp://user:password@host:587 (STARTTLS), smtps://…:465 (TLS), console://, file:///path, and
    smtp+plain://localhost:25 for a relay on this machine (no TLS, so only to a loopback address).
    """
    value = _raw(name)
    if value is None:
        return {
            "EMAIL_BACKEND": "clinic.mail.FileAndConsoleBackend",
            "EMAIL_FILE_PATH": str(default_folder),
        }
    parts = urlsplit(value)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(f"{name}: file:// needs a folder, e.g. file:///var/mail.")
        return {
            "EMAIL_BACKEND": "clinic.mail.FileAndConsoleBackend",
            "EMAIL_FILE_PATH": parts.path,
        }
    if parts.scheme not in {"smtp", "smtps", "smtp+plain"}:
        raise ImproperlyConfigured(
            f"{name} must start with smtp://, smtps://, smtp+plain://, console:// or file://, "
            f"got {parts.scheme!r}."
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number.") from None
    if not parts.hostname:
        raise ImproperlyConfigured(f"{name} names no host.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"timeout"}
    if unknown:
        raise ImproperlyConfigured(f"{name} has unknown options: {', '.join(sorted(unknown))}.")
    try:
        timeout = int(query.get("timeout", 20))
    except ValueError:
        raise ImproperlyConfigured(f"{name}: timeout must be a whole number of seconds.") from None
    ssl = parts.scheme == "smtps"
    plain = parts.scheme == "smtp+plain"
    if plain and parts.hostname not in {"localhost", "127.0.0.1", "::1"}:
        raise ImproperlyConfigured(
            f"{name}: smtp+plain:// sends without encryption, so only to a relay on this machine "
            "(localhost, 127.0.0.1 or ::1); use smtp:// or smtps:// for another host."
        )
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if ssl else 25 if plain else 587),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": ssl,
        "EMAIL_USE_TLS": not ssl and not plain,
        "EMAIL_TIMEOUT": timeout,
    }
