"""Headless locust load on a web server, bounded in users and time, the request mix given as data.

Run as its own process (locust patches the interpreter with gevent):
python -m harness.workloads.locust_load URL USERS SECONDS MIX.json OUT.json
MIX.json: {"paths": {"/work/orm_query/": 7, ...}, "expected_status": {"/work/fail_in_transaction/": 500}}
"""
from __future__ import annotations

import json
import sys

import gevent
from locust import HttpUser, constant
from locust.env import Environment


def user_class(paths: dict[str, int], expected_status: dict[str, int]) -> type[HttpUser]:
    """An HttpUser requesting each path with its weight; a path's expected status counts as success."""

    def request(path: str):
        def call(user: HttpUser) -> None:
            with user.client.get(path, catch_response=True) as response:
                if response.status_code == expected_status.get(path, 200):
                    response.success()
        return call

    tasks = {request(path): weight for path, weight in paths.items()}
    return type("MixUser", (HttpUser,), {"wait_time": constant(0), "tasks": tasks})


def run(url: str, users: int, seconds: float, mix: dict) -> dict:
    environment = Environment(user_classes=[user_class(mix["paths"], mix.get("expected_status", {}))], host=url)
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
    target, count, duration, mix_file, out = sys.argv[1:6]
    with open(mix_file) as handle:
        request_mix = json.load(handle)
    with open(out, "w") as handle:
        json.dump(run(target, int(count), float(duration), request_mix), handle)
