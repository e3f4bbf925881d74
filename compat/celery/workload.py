"""Celery workload: tasks that return a value, one that fails, one with a countdown, and
a worker (`celery worker`) stopped and started again between them.

Usage: workload.py <redis URL>. Exits non-zero with the first wrong thing it saw."""

import os
import sys
import time
from datetime import datetime, timedelta, timezone

os.environ["COMPAT_REDIS_URL"] = sys.argv[1]

import redis  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # compat/workerproc.py

import tasks  # noqa: E402
import workerproc  # noqa: E402


def start_worker():
    # The real CLI; the solo pool keeps it to one process on a small machine.
    return workerproc.start(
        [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool=solo",
         "--queues=compat", "--loglevel=INFO", "--without-gossip", "--without-mingle"],
        cwd=HERE)


def wait_for(worker, results, timeout=30):
    """Waits until every result is ready, while the worker keeps running."""
    deadline = time.monotonic() + timeout
    while not all(r.ready() for r in results):
        workerproc.check_running(worker)
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for tasks: {[r.state for r in results]}")
        time.sleep(0.2)


def check(cond, what):
    if not cond:
        sys.exit(f"check failed: {what}")


def main():
    redis.Redis.from_url(sys.argv[1]).flushdb()

    # Phase 1: one task returns a value, one raises.
    ok = tasks.add.delay(2, 3)
    bad = tasks.fail.delay()
    worker = start_worker()
    wait_for(worker, [ok, bad])
    check(ok.successful() and ok.get(timeout=5) == 5, f"add(2, 3) = {ok.result!r}, want 5")
    check(bad.state == "FAILURE", f"fail() is {bad.state}, want FAILURE")
    check(isinstance(bad.result, ValueError), f"fail()'s result: {bad.result!r}")

    # Restart: sent while no worker runs, a task with a countdown and a plain one must
    # be run by the next worker, the countdown one not before its time.
    workerproc.stop(worker)
    due = datetime.now(timezone.utc) + timedelta(seconds=1.5)
    later = tasks.add.apply_async((10, 20), countdown=1.5)
    queued = tasks.add.delay(4, 5)
    worker = start_worker()
    wait_for(worker, [later, queued])
    check(queued.get(timeout=5) == 9, f"add(4, 5) after the restart = {queued.result!r}, want 9")
    check(later.get(timeout=5) == 30, f"countdown add(10, 20) = {later.result!r}, want 30")
    done = later.date_done.replace(tzinfo=timezone.utc)
    check(done >= due, f"countdown task done at {done}, due {due}")
    workerproc.stop(worker)


DONE = "celery: 4 tasks ran (one failed on purpose, one with a countdown), worker restarted once"


if __name__ == "__main__":
    workerproc.run(main, DONE)
