"""What `make bench` reads from each answer (scripts/bench.py): the number of SQL queries the request
ran and the peak memory of the process that served it. On only when BENCH_HEADERS=1, which nothing
but the benchmark sets: the headers say how the server is built, which a production site need not tell.
"""

import resource
from contextlib import ExitStack

from django.db import connections


class BenchHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = _QueryCounter()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(counter))
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(counter.count)
        # Linux reports ru_maxrss in kilobytes: the most this worker has held since it started.
        response["X-Bench-Max-RSS-KB"] = str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return response


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)
