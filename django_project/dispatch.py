"""Send a burst of tasks with known ids and print the dispatch timings as JSON (run in a cell's venv)."""
import argparse
import json
import time

from repro.celery_app import app


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--task", required=True, help="task name, e.g. ledger.tasks.touch_db")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--prefix", required=True, help="dispatch ids are PREFIX-00000, PREFIX-00001, ...")
    args = parser.parse_args()
    started = time.time()
    with app.producer_or_acquire() as producer:
        for index in range(args.count):
            app.send_task(args.task, task_id="%s-%05d" % (args.prefix, index), producer=producer)
    print(json.dumps({"dispatch_started": started, "dispatch_finished": time.time(), "count": args.count}))


if __name__ == "__main__":
    main()
