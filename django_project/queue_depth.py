"""Print how many messages wait in the default queue of the cell's broker (run in a cell's venv)."""
import json

from celery_repro_app import project_app

app = project_app()


def main():
    queue = app.conf.task_default_queue
    with app.connection_for_read() as connection:
        try:
            declared = connection.default_channel.queue_declare(queue=queue, passive=True)
            messages = declared.message_count
        except connection.channel_errors:  # 404: no such queue (Redis drops an empty list), so nothing waits
            messages = 0
    print(json.dumps({"queue": queue, "messages": messages}))


if __name__ == "__main__":
    main()
