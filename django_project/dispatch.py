"""Send a burst of tasks with known ids and print the dispatch timings as JSON (run in a cell's venv)."""
import argparse
import json
import time

from repro.celery_app import app


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, action="append",
                        help="task name, e.g. ledger.tasks.touch_db; repeat to send each in turn")
    parser.add_argument("--count", type=int, required=True, help="how many of each task")
    parser.add_argument("--prefix", required=True, help="dispatch ids are PREFIX-00000, PREFIX-00001, ...")
    args = parser.parse_args()
    started = time.time()
    with app.producer_or_acquire() as producer:
        for offset, task in enumerate(args.task):
            for index in range(offset * args.count, (offset + 1) * args.count):
                app.send_task(task, task_id="%s-%05d" % (args.prefix, index), producer=producer)
    print(json.dumps({"dispatch_started": started, "dispatch_finished": time.time(),
                      "count": args.count * len(args.task)}))


if __name__ == "__main__":
    main()
