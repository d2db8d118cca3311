"""Send a burst of tasks with known ids and print the dispatch timings as JSON (run in a cell's venv)."""
import argparse
import json
import time

from celery_repro_app import project_app

app = project_app()

# Publishers retry while a broker restarts, 0.5 s apart, until RETRY_FOR_S after the dispatch began;
# after that every message gets one attempt, so a broker that stays away cannot stall the dispatch.
RETRY_FOR_S = 20.0
RETRY_POLICY = {"max_retries": 40, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
NO_RETRY = {"max_retries": 0}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, action="append",
                        help="task name, e.g. ledger.tasks.touch_db; repeat to send each in turn")
    parser.add_argument("--count", type=int, required=True, help="how many of each task")
    parser.add_argument("--prefix", required=True, help="dispatch ids are PREFIX-00000, PREFIX-00001, ...")
    parser.add_argument("--start", type=int, default=0, help="number of the first dispatch id")
    parser.add_argument("--args-for", default="", help="the task that --args are sent to")
    parser.add_argument("--args", default="[]", help="its arguments as JSON: a list, or an object of keyword arguments")
    parser.add_argument("--interleave", action="store_true",
                        help="send the tasks in rounds (A, B, A, B, ...) instead of all of A, then all of B")
    args = parser.parse_args()
    given = json.loads(args.args)
    call = {args.args_for: {"args": given} if isinstance(given, list) else {"kwargs": given}}
    started, failed = time.time(), []
    with app.producer_or_acquire() as producer:
        for index, task in messages(args.task, args.count, args.start, args.interleave):
            try:
                policy = RETRY_POLICY if time.time() - started < RETRY_FOR_S else NO_RETRY
                app.send_task(task, task_id="%s-%05d" % (args.prefix, index), producer=producer,
                              retry=True, retry_policy=policy, **call.get(task, {}))
            except Exception as exc:  # the broker stayed away longer than the retry policy
                failed.append(index)
                last_error = "%s: %s" % (type(exc).__name__, exc)
    print(json.dumps({"dispatch_started": started, "dispatch_finished": time.time(),
                      "count": args.count * len(args.task), "publish_failed": failed,
                      "publish_error": last_error if failed else ""}))


def messages(tasks, count, start, interleave):
    """(dispatch index, task) in sending order: ids are numbered in that order from `start`."""
    if interleave:
        order = [task for _ in range(count) for task in tasks]
    else:
        order = [task for task in tasks for _ in range(count)]
    return [(start + offset, task) for offset, task in enumerate(order)]


if __name__ == "__main__":
    main()
