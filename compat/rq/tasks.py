"""The jobs the RQ workload enqueues; the worker imports them from this directory."""


def add(a, b):
    return a + b


def fail():
    raise ValueError("compat: this job fails on purpose")
