"""Keep one process running under `make run`, as systemd's Restart=always does in production.

    python scripts/supervise.py worker -- celery -A clinic worker --loglevel=INFO

Honcho stops every process as soon as one exits, so a worker killed by the out-of-memory killer (or
by hand) used to take the web server and beat down with it. Under this wrapper the command is
started again, after a line that names it and says how it ended. SIGTERM or SIGINT (honcho's
Ctrl-C) is passed on once and ends the wrapper when the command has stopped. A command that keeps
dying (``--max-restarts`` within ``--window`` seconds: a broken configuration, not a crash) is given
up on: the wrapper exits with its status, and honcho then stops the rest, naming it.
"""

import argparse
import signal
import subprocess
import sys
import time


def how_it_ended(returncode):
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


def say(name, text):
    print(f"supervise: {name} {text}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="what to call the process in messages (worker, beat)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command and its arguments")
    parser.add_argument("--restart-delay", type=float, default=1.0, help="seconds before a restart")
    parser.add_argument("--max-restarts", type=int, default=5, help="restarts allowed within --window")
    parser.add_argument("--window", type=float, default=60.0, help="seconds (see --max-restarts)")
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("give the command after --")

    stopping = []
    child = None

    def stop(signum, _frame):
        if not stopping and child is not None and child.poll() is None:
            child.send_signal(signum)
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    restarts = []
    while True:
        # Its own session: honcho's SIGTERM to our process group reaches the command once, from us.
        child = subprocess.Popen(command, start_new_session=True)  # noqa: S603  (the Procfile's command)
        say(options.name, f"started (pid {child.pid})")
        returncode = child.wait()
        if stopping:
            return 0 if returncode in (0, -signal.SIGTERM, -signal.SIGINT) else returncode
        now = time.monotonic()
        restarts = [moment for moment in restarts if now - moment < options.window] + [now]
        if len(restarts) > options.max_restarts:
            say(
                options.name,
                f"{how_it_ended(returncode)}; it died {len(restarts)} times in {options.window:g} s, "
                "giving up (see its output above)",
            )
            return returncode if returncode > 0 else 1
        say(options.name, f"{how_it_ended(returncode)}; restarting in {options.restart_delay:g} s")
        time.sleep(options.restart_delay)
        if stopping:
            return 0


if __name__ == "__main__":
    sys.exit(main())
