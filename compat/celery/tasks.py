"""The Celery app and its tasks: redis as broker and result backend, at the URL in
COMPAT_REDIS_URL (the workload and the worker it starts both read it)."""

import os

from celery import Celery

app = Celery("compat", broker=os.environ["COMPAT_REDIS_URL"], backend=os.environ["COMPAT_REDIS_URL"])
app.conf.update(
    task_default_queue="compat",
    # One task at a time, acknowledged after it ran: a worker stopped mid-run leaves
    # nothing half done.
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    broker_connection_retry_on_startup=True,
)


@app.task
def add(a, b):
    return a + b


@app.task
def fail():
    raise ValueError("compat: this task fails on purpose")
