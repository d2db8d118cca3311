"""Headless locust load on the web side, bounded in users and time; run as its own process (locust patches
the interpreter with gevent): python -m harness.webload URL USERS SECONDS OUT.json"""
from __future__ import annotations

import json
import sys

import gevent
from locust import HttpUser, constant, task
from locust.env import Environment

EXPECTED_500 = "/work/fail_in_transaction/"  # the view fails on purpose; its 500 is the workload, not an error


class WorkUser(HttpUser):
    """The task mix of conn_leak's burst, as requests: 7 ORM, 2 raw cursor, 1 failing in a transaction."""

    wait_time = constant(0)

    @task(7)
    def orm_query(self):
        self.client.get("/work/orm_query/")

    @task(2)
    def raw_cursor(self):
        self.client.get("/work/raw_cursor/")

    @task(1)
    def fail_in_transaction(self):
        with self.client.get(EXPECTED_500, catch_response=True) as response:
            if response.status_code == 500:
                response.success()


def run(url: str, users: int, seconds: float) -> dict:
    environment = Environment(user_classes=[WorkUser], host=url)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    total = environment.stats.total
    return {"users": users, "seconds": seconds, "requests": total.num_requests, "failures": total.num_failures,
            "requests_per_s": round(total.total_rps, 1), "median_ms": total.median_response_time,
            "by_path": {name: {"requests": entry.num_requests, "failures": entry.num_failures}
                        for (name, _method), entry in environment.stats.entries.items()},
            "errors": {str(error.error): error.occurrences for error in environment.stats.errors.values()}}


if __name__ == "__main__":
    target, count, duration, out = sys.argv[1:5]
    with open(out, "w") as handle:
        json.dump(run(target, int(count), float(duration)), handle)
