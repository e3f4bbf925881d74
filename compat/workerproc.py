"""Worker processes for the Python workloads (RQ, Celery): started as a user starts
them, stopped with SIGTERM (both frameworks' warm shutdown), and whatever is left of
them ended when the workload exits, with their output shown before its verdict."""

import signal
import subprocess
import sys
import tempfile

_started = []  # (process, log file) of every worker, in start order


def start(argv, cwd=None):
    log = tempfile.TemporaryFile("w+")
    # In the workload's process group: compat/run.sh ends the group, with whatever a
    # worker left (RQ's scheduler process), when the workload exits or times out.
    proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    _started.append((proc, log))
    return proc


def last_line(proc):
    for p, log in _started:
        if p is proc:
            log.seek(0)
            lines = [line.strip() for line in log if line.strip()]
            return lines[-1] if lines else "no output"
    return ""


def check_running(proc):
    if proc.poll() is not None:
        sys.exit(f"worker exited with {proc.returncode}: {last_line(proc)}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    if code != 0:
        sys.exit(f"worker exited with {code} after SIGTERM: {last_line(proc)}")


def run(main, done):
    """Runs main, ends every worker and prints their output, then the verdict as the
    last line (compat/run.sh shows it): done, or the first thing that went wrong."""
    try:
        main()
        verdict, code = done, 0
    except SystemExit as e:
        verdict, code = str(e.code), 1
    except Exception as e:  # the first error a client raised
        verdict, code = f"{type(e).__module__}.{type(e).__name__}: {e}", 1
    for n, (proc, log) in enumerate(_started, 1):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.seek(0)
        print(f"--- worker {n} ---\n{log.read()}", file=sys.stderr, flush=True)
    print(verdict, flush=True)
    sys.exit(code)
