"""What `make bench` reads from each answer (scripts/bench.py): the number of SQL queries the request
ran and the peak memory of the process while it served the request. On only when BENCH_HEADERS=1, which nothing
but the benchmark sets: the headers say how the server is built, which a production site need not tell.
"""

from contextlib import ExitStack, suppress
from pathlib import Path

from django.db import connections


class BenchHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = _QueryCounter()
        _reset_peak_memory()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(counter))
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(counter.count)
        response["X-Bench-Max-RSS-KB"] = str(_peak_memory_kb())
        return response


def _reset_peak_memory():
    # Linux: writing 5 to clear_refs resets the process's peak resident set (VmHWM), so the peak read
    # after the view is this request's, not the worker's since it started.
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_memory_kb():
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)
