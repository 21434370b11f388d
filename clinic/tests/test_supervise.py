"""`make run` keeps the worker and beat running: a killed one is started again with a line naming it
(scripts/supervise.py under honcho), Ctrl-C still stops everything, and the systemd units restart
them in production."""

import configparser
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = str(ROOT / "scripts" / "supervise.py")
HONCHO = Path(sys.executable).parent / "honcho"
SLEEPER = [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(120)"]


class Output:
    """Lines of a running process, read in a thread, awaited with a timeout."""

    def __init__(self, process):
        self.lines = queue.Queue()
        self.seen = []
        self.reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self.reader.start()

    def _read(self, stream):
        for line in stream:
            self.lines.put(line)

    def wait_for(self, pattern, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.seen)}")


@pytest.fixture
def start():
    """start(args) runs a process in its own session with its output readable; all are ended after."""
    started = []

    def run(args, **kwargs):
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            **kwargs,
        )
        output = Output(process)
        started.append((process, output))
        return process, output

    yield run
    for process, output in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        output.reader.join(10)
        process.stdout.close()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_process_is_started_again_with_a_message_naming_it(start):
    supervisor, output = start(
        [sys.executable, SUPERVISE, "--restart-delay", "0.1", "worker", "--", *SLEEPER]
    )
    first = int(output.wait_for(r"supervise: worker started \(pid (\d+)\)").group(1))
    output.wait_for("ready")
    os.kill(first, signal.SIGKILL)
    output.wait_for(r"supervise: worker killed by SIGKILL; restarting in 0.1 s")
    second = int(output.wait_for(r"supervise: worker started \(pid (\d+)\)").group(1))
    output.wait_for("ready")
    assert second != first

    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(10) == 0
    assert not alive(second)


def test_a_process_that_keeps_dying_is_given_up_on_with_its_status(start):
    supervisor, output = start(
        [
            sys.executable,
            SUPERVISE,
            "--restart-delay",
            "0",
            "--max-restarts",
            "2",
            "beat",
            "--",
            "sh",
            "-c",
            "exit 3",
        ]
    )
    output.wait_for(r"supervise: beat exited with status 3; restarting")
    output.wait_for(r"supervise: beat exited with status 3; it died 3 times in 60 s, giving up")
    assert supervisor.wait(10) == 3


def test_under_honcho_a_killed_worker_restarts_and_the_web_server_keeps_running(start, tmp_path):
    sleeper = " ".join(SLEEPER[:2]) + ' "' + SLEEPER[2] + '"'
    (tmp_path / "Procfile").write_text(
        f"web: {sleeper}\nworker: {sys.executable} {SUPERVISE} --restart-delay 0.1 worker -- {sleeper}\n"
    )
    honcho, output = start([str(HONCHO), "start", "-f", str(tmp_path / "Procfile")], cwd=tmp_path)
    web = int(output.wait_for(r"system\s+\| web\.1 started \(pid=(\d+)\)").group(1))
    worker = int(output.wait_for(r"worker\.1\s+\| supervise: worker started \(pid (\d+)\)").group(1))
    time.sleep(0.5)
    os.kill(worker, signal.SIGKILL)
    output.wait_for(r"worker\.1\s+\| supervise: worker killed by SIGKILL; restarting")
    restarted = int(output.wait_for(r"worker\.1\s+\| supervise: worker started \(pid (\d+)\)").group(1))
    time.sleep(0.5)
    assert honcho.poll() is None and alive(web)

    honcho.send_signal(signal.SIGINT)  # Ctrl-C
    honcho.wait(20)
    time.sleep(0.2)
    assert not alive(restarted)


def test_the_procfile_supervises_the_worker_and_beat():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    assert procfile["worker"].startswith("python scripts/supervise.py worker -- celery -A clinic worker")
    assert procfile["beat"].startswith("python scripts/supervise.py beat -- celery -A clinic beat")


def test_the_systemd_units_restart_the_web_server_worker_and_beat():
    folder = ROOT / "deploy" / "systemd"
    for name in ("clinic-web", "clinic-worker", "clinic-beat"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(folder / f"{name}.service")
        assert unit["Service"]["Restart"] == "always", name
        assert unit["Service"]["RestartSec"], name
        assert unit["Unit"]["PartOf"] == "clinic.target", name
        assert unit["Install"]["WantedBy"] == "clinic.target", name
    assert (folder / "clinic.target").exists()
