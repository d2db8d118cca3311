"""Where a failing task's retained bytes are allocated: tracemalloc around Celery's own tracer, in one process.

Run with any Celery and Python, e.g.
    uv run --no-project --python 3.12 --with celery==5.7.0 python tools/trace_leak.py
Prints the process's RSS growth per failing call and the three allocation sites that grew most.
"""
import argparse
import gc
import os
import sys
import tracemalloc

import celery

from celery import Celery
from celery.app.trace import build_tracer

app = Celery("trace_leak", broker="memory://")
app.conf.task_ignore_result = True


@app.task(bind=True)
def fail_holding_memory(self):
    payload = b"x" * (1 << 20)
    raise RuntimeError("unhandled failure holding %d bytes" % len(payload))


def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2.0 ** 20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--collect", action="store_true", help="gc.collect() before measuring: what is left "
                        "is reachable, not cyclic garbage waiting for the collector")
    args = parser.parse_args()
    tracer = build_tracer(fail_holding_memory.name, fail_holding_memory, eager=False, propagate=False, app=app)
    run = lambda index: tracer("id-%d" % index, (), {}, {"id": "id-%d" % index, "delivery_info": {}})  # noqa: E731
    for index in range(50):  # warm-up: imports, caches, first allocations
        run(index)
    tracemalloc.start(12)
    before, rss_before = tracemalloc.take_snapshot(), rss_mb()
    for index in range(args.calls):
        run(index)
    if args.collect:
        gc.collect()
    after, rss_after = tracemalloc.take_snapshot(), rss_mb()
    print("celery %s, Python %s%s: RSS %+.1f KB per failing call" % (
        celery.__version__, sys.version.split()[0], ", after gc.collect()" if args.collect else "",
        (rss_after - rss_before) * 1024 / args.calls))
    for stat in after.compare_to(before, "traceback")[:3]:
        where = stat.traceback.format()[-2].strip()
        print("%+9.1f KB per call from %s" % (stat.size_diff / 1024.0 / args.calls, where))


if __name__ == "__main__":
    main()
