"""Set-up: `make run PORT=…` serves and links to that address, pip reruns only when requirements.txt
changes, and the system-packages check installs what is missing or stops with the one command to run.
"""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from testing.factories import PatientFactory

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def make_dry_run(*args, cwd=ROOT, **env):
    environment = {key: value for key, value in os.environ.items() if key not in {"SITE_URL", "PORT"}}
    environment.update(env)
    result = subprocess.run(
        [MAKE, "--no-print-directory", "-n", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def process_environment_of_make_run(*args, **env):
    """The VAR=value words in front of `honcho start` (web, worker and beat all get them)."""
    (line,) = [line for line in make_dry_run("run", *args, **env).splitlines() if "honcho start" in line]
    words = shlex.split(line)
    return dict(word.split("=", 1) for word in words[: words.index(next(w for w in words if "=" not in w))])


# The address `make run` serves ------------------------------------------------------------------


@needs_make
def test_make_run_port_gives_the_web_server_worker_and_beat_that_address_for_links():
    environment = process_environment_of_make_run("PORT=8123")
    assert environment["WEB_PORT"] == "8123"
    assert environment["SITE_URL"] == "http://localhost:8123"


@needs_make
def test_make_run_keeps_a_site_url_set_in_the_environment():
    environment = process_environment_of_make_run("PORT=8123", SITE_URL="https://clinic.example.org")
    assert environment["SITE_URL"] == "https://clinic.example.org"


@needs_make
def test_make_run_port_8123_mails_invitation_links_to_port_8123(
    settings, client_for, front_desk, django_capture_on_commit_callbacks
):
    settings.SITE_URL = process_environment_of_make_run("PORT=8123")["SITE_URL"]
    patient = PatientFactory(status="screening")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(front_desk).post(reverse("patients:invite", args=[patient.external_id]))
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/portal/invitation/\S+/", message.body).group(0)
    assert link.startswith("http://localhost:8123/portal/invitation/")


# The install marker ------------------------------------------------------------------------------


@needs_make
def test_a_fresh_clone_does_not_rerun_pip_but_a_changed_requirements_file_does(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("Django>=5.2,<5.3\n")
    checksum = subprocess.run(
        f"cksum < {requirements}", shell=True, capture_output=True, text=True, check=True
    ).stdout.split()[0]
    (tmp_path / ".venv").mkdir()
    stamp = tmp_path / ".venv" / f".installed-{checksum}"
    stamp.touch()
    os.utime(stamp, (1_000_000_000, 1_000_000_000))  # older than the freshly cloned file

    assert "pip install" not in make_dry_run("venv", cwd=tmp_path)

    requirements.write_text("Django>=5.2,<5.3\nwhitenoise>=6.9,<7\n")
    assert "pip install" in make_dry_run("venv", cwd=tmp_path)


# System packages ---------------------------------------------------------------------------------

FAKE_DPKG = """#!/bin/sh
if grep -qx "$2" "$FAKE_STATE/installed"; then printf 'Package: %s\\nStatus: install ok installed\\n' "$2"
elif grep -qx "$2" "$FAKE_STATE/config-files"; then printf 'Package: %s\\nStatus: deinstall ok config-files\\n' "$2"
else echo "dpkg-query: package '$2' is not installed" >&2; exit 1; fi
"""
FAKE_APT_GET = """#!/bin/sh
echo "apt-get $* (uid $(id -u))" >> "$FAKE_STATE/log"
seen=""
for arg in "$@"; do
  case "$arg" in
    install) seen=1 ;;
    -*|*=*) ;;
    *) [ -n "$seen" ] && echo "$arg" >> "$FAKE_STATE/installed" ;;
  esac
done
exit 0
"""
FAKE_ID = '#!/bin/sh\necho "$FAKE_UID"\n'
FAKE_SUDO_NOPASSWD = '#!/bin/sh\n[ "$1" = -n ] && shift\nFAKE_UID=0 exec "$@"\n'
FAKE_SUDO_PASSWORD = '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n'
TOOLS = ("sh", "grep", "readlink", "head", "cat", "env", "printf", "true")


@pytest.fixture
def machine(tmp_path):
    """A fake Debian machine: dpkg, apt-get, id (and sudo when asked) that only record."""
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    for name, text in (("dpkg", FAKE_DPKG), ("apt-get", FAKE_APT_GET), ("id", FAKE_ID)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    for name in ("installed", "config-files", "log"):
        (state / name).write_text("")
    debian = tmp_path / "os-release"
    debian.write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')

    class Machine:
        os_release = debian

        def install(self, *packages):
            (state / "installed").write_text("".join(f"{p}\n" for p in packages))

        def leave_config_files_of(self, *packages):
            (state / "config-files").write_text("".join(f"{p}\n" for p in packages))

        def give_sudo(self, text):
            (bin_dir / "sudo").write_text(text)
            (bin_dir / "sudo").chmod(0o755)

        def remove(self, tool):
            (bin_dir / tool).unlink()

        def apt_calls(self):
            return (state / "log").read_text().splitlines()

        def check(self, *packages, uid=1000, **env):
            environment = {
                "PATH": str(bin_dir),
                "FAKE_STATE": str(state),
                "FAKE_UID": str(uid),
                "OS_RELEASE": str(self.os_release),
                "CHROMIUM": str(tmp_path / "no-chromium"),
                **env,
            }
            return subprocess.run(
                [shutil.which("sh"), str(ROOT / "scripts" / "system-packages.sh"), *packages],
                env=environment,
                capture_output=True,
                text=True,
                timeout=30,
            )

    return Machine()


def test_root_gets_the_missing_packages_installed_with_apt(machine):
    machine.install("fonts-dejavu-core")
    result = machine.check("libharfbuzz-subset0", "fonts-dejavu-core", uid=0)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = machine.apt_calls()
    assert len(calls) == 2
    assert " update " in calls[0] + " "
    assert calls[1].startswith("apt-get ")
    assert calls[1].endswith("install -y -qq libharfbuzz-subset0 (uid 0)")
    assert "Installed: libharfbuzz-subset0" in result.stdout


def test_a_user_with_passwordless_sudo_gets_them_installed_through_sudo(machine):
    machine.give_sudo(FAKE_SUDO_NOPASSWD)
    result = machine.check("libharfbuzz-subset0", uid=1000)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [call.endswith("(uid 0)") for call in machine.apt_calls()] == [True, True]
    assert "through sudo" in result.stdout


def test_a_user_whose_sudo_asks_a_password_is_told_the_one_command_and_nothing_runs(machine):
    machine.give_sudo(FAKE_SUDO_PASSWORD)
    result = machine.check("libharfbuzz-subset0", "poppler-utils", uid=1000)
    assert result.returncode == 1
    assert "sudo apt-get update && sudo apt-get install -y libharfbuzz-subset0 poppler-utils" in result.stdout
    assert "libharfbuzz-subset0: HarfBuzz subset" in result.stdout
    assert machine.apt_calls() == []


def test_a_user_without_sudo_is_told_to_run_it_as_root(machine):
    result = machine.check("libharfbuzz-subset0", uid=1000)
    assert result.returncode == 1
    assert "su -c 'apt-get update && apt-get install -y libharfbuzz-subset0'" in result.stdout
    assert machine.apt_calls() == []


def test_nothing_is_installed_when_everything_is_there(machine):
    machine.install("libharfbuzz-subset0", "fonts-dejavu-core")
    result = machine.check("libharfbuzz-subset0", "fonts-dejavu-core", uid=1000)
    assert result.returncode == 0
    assert result.stdout == ""
    assert machine.apt_calls() == []


def test_a_removed_package_whose_configuration_files_remain_counts_as_missing(machine):
    machine.leave_config_files_of("libharfbuzz-subset0")
    result = machine.check("libharfbuzz-subset0", uid=1000)
    assert result.returncode == 1
    assert "apt-get install -y libharfbuzz-subset0" in result.stdout


def test_a_working_chromium_elsewhere_needs_no_package(machine, tmp_path):
    browser = tmp_path / "chrome"
    browser.write_bytes(b"\x7fELF")
    browser.chmod(0o755)
    result = machine.check("chromium", uid=1000, CHROMIUM=str(browser))
    assert result.returncode == 0
    assert machine.apt_calls() == []


def test_ubuntu_is_told_plainly_that_apt_chromium_is_a_snap_and_what_to_set(machine, tmp_path):
    machine.os_release.write_text('PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\n')
    shim = tmp_path / "chromium-browser"
    shim.write_text('#!/bin/sh\nexec /snap/bin/chromium "$@"\n')
    shim.chmod(0o755)
    for chromium in (str(tmp_path / "no-chromium"), str(shim)):
        result = machine.check("libharfbuzz-subset0", "chromium", uid=0, CHROMIUM=chromium)
        assert result.returncode == 1
        assert "snap" in result.stdout
        assert "make test CHROMIUM=/usr/bin/google-chrome" in result.stdout
        assert machine.apt_calls()[-1].endswith("install -y -qq libharfbuzz-subset0 (uid 0)")


def test_a_system_without_apt_is_told_which_packages_to_install(machine):
    machine.remove("apt-get")
    machine.os_release.write_text('PRETTY_NAME="Fedora Linux 41"\nID=fedora\n')
    result = machine.check("libharfbuzz-subset0", "poppler-utils", "chromium")
    assert result.returncode == 1
    assert "Fedora Linux 41 has no dpkg and apt-get" in result.stdout
    for package in ("libharfbuzz-subset0", "poppler-utils", "chromium"):
        assert f"  - {package}: " in result.stdout
    assert "SKIP_SYSTEM_PACKAGES=1" in result.stdout


@needs_make
def test_make_test_checks_every_package_before_anything_else_and_make_run_only_what_runs():
    test_steps = make_dry_run("test").splitlines()
    assert "scripts/system-packages.sh" in test_steps[0]
    for package in ("libharfbuzz-subset0", "fonts-dejavu-core", "poppler-utils", "chromium"):
        assert package in test_steps[0]
    run_steps = make_dry_run("run").splitlines()
    assert "libharfbuzz-subset0" in run_steps[0]
    assert "chromium" not in run_steps[0]
    assert "poppler-utils" not in run_steps[0]
