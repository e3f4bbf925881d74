"""RQ workload: jobs that return a value, one that fails, one scheduled ahead, and a
worker (`rq worker --with-scheduler`) stopped and started again between them.

Usage: workload.py <redis URL>. Exits non-zero with the first wrong thing it saw."""

import os
import sys
import time
from datetime import datetime, timedelta

from redis import Redis
from rq import Queue
from rq.job import Job

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # compat/workerproc.py

import tasks
import workerproc  # noqa: E402

URL = sys.argv[1]
QUEUE = "compat"


def start_worker():
    # The real CLI, as a user runs it; --path lets it import tasks.py.
    return workerproc.start(
        [sys.executable, "-m", "rq.cli", "worker", "--with-scheduler",
         "--url", URL, "--path", HERE, QUEUE])


def wait_for(worker, jobs, timeout=30):
    """Waits until every job is finished or failed, while the worker keeps running."""
    deadline = time.monotonic() + timeout
    while True:
        workerproc.check_running(worker)
        for job in jobs:
            job.refresh()
        if all(job.get_status() in ("finished", "failed") for job in jobs):
            return
        if time.monotonic() > deadline:
            states = {job.id: job.get_status() for job in jobs}
            sys.exit(f"timed out waiting for jobs: {states}")
        time.sleep(0.2)


def check(cond, what):
    if not cond:
        sys.exit(f"check failed: {what}")


def main():
    conn = Redis.from_url(URL)
    conn.flushdb()
    q = Queue(QUEUE, connection=conn)

    # Phase 1: one job returns a value, one raises.
    ok = q.enqueue(tasks.add, 2, 3)
    bad = q.enqueue(tasks.fail)
    worker = start_worker()
    wait_for(worker, [ok, bad])
    check(ok.get_status() == "finished" and ok.result == 5, f"add(2, 3) = {ok.result!r}, want 5")
    check(bad.get_status() == "failed", f"fail() is {bad.get_status()}, want failed")
    check("ValueError" in (bad.exc_info or ""), f"fail()'s exc_info: {bad.exc_info!r}")
    check(bad.id in q.failed_job_registry.get_job_ids(), "fail() is not in the failed registry")

    # Restart: enqueued while no worker runs, a scheduled job and a plain one must be
    # picked up by the next worker (and its scheduler).
    workerproc.stop(worker)
    # RQ keeps naive UTC times and schedules to the whole second.
    due = (datetime.utcnow() + timedelta(seconds=2)).replace(microsecond=0)
    later = q.enqueue_in(timedelta(seconds=2), tasks.add, 10, 20)
    queued = q.enqueue(tasks.add, 4, 5)
    check(later.get_status() == "scheduled", f"enqueue_in's job is {later.get_status()}, want scheduled")
    worker = start_worker()
    wait_for(worker, [later, queued])
    check(queued.result == 9, f"add(4, 5) after the restart = {queued.result!r}, want 9")
    check(later.result == 30, f"scheduled add(10, 20) = {later.result!r}, want 30")
    started = Job.fetch(later.id, connection=conn).started_at
    check(started >= due, f"scheduled job started at {started}, due {due}")
    workerproc.stop(worker)


DONE = "rq: 4 jobs ran (one failed on purpose, one scheduled), worker restarted once"


if __name__ == "__main__":
    workerproc.run(main, DONE)
