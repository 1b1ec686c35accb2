"""A warm worker: torch imported once, then one forked child per submission.

This module runs next to student code, so it and everything it imports (wire,
probes, loader, catalog/__init__) must hold nothing the student may not see: the
grader copies just these files into the sandbox (sandbox.CHILD_FILES).

Protocol, one JSON line each way per submission on stdin/stdout:
  request   {"folder", "name", "exercise", "probes", "probe_timeout", "load_timeout", "memory"}
  response  {"observations": [...], "problems": [...], "output": "first bytes the code printed"}
The worker first says "ready" once torch is loaded. The child sends one line per probe as it goes, so a hang or a crash costs only the
probe in flight: the worker marks it, forks a new child, and carries on with the rest.
"""
import json
import os
import resource
import select
import signal
import sys
import tempfile
import threading
import time

import torch  # noqa: F401  (the point of a warm worker: every child starts with torch loaded)

from . import wire
from .loader import SubmissionError, load
from .probes import failure, observe

OUTPUT_KEPT = 16 * 1024  # bytes of the submission's own output kept for messages
LINE_LIMIT = 32 * 1024 * 1024  # an observation larger than this is not a plausible answer


def main():
    own_namespace = "--own-pid-namespace" in sys.argv
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stray prints must not corrupt the protocol
    torch.set_num_threads(1)
    channel.write("ready\n")  # torch is loaded: the grader may send work
    channel.flush()
    for line in sys.stdin:
        response = grade(json.loads(line))
        if own_namespace:
            _kill_strays()
        channel.write(json.dumps(response) + "\n")
        channel.flush()


def grade(request):
    probes = wire.decode(request["probes"])
    observations, problems, output = [None] * len(probes), [], bytearray()
    start = 0
    while start < len(probes):
        loaded, results, stop = _run_child(request, probes, start, output)
        problems = loaded.get("problems", problems)
        for index, observation in results:
            observations[index] = observation
        if stop is None:
            break
        index, error = stop
        if index is None:  # the submission did not even load: nothing can run
            for rest in range(start, len(probes)):
                observations[rest] = {"error": error}
            if "fatal" in loaded:
                problems = [loaded["fatal"]]
            break
        # the stopped probe's check has failed: its other probes need not wait out their time too
        start = index
        while start < len(probes) and probes[start].get("check") == probes[index].get("check"):
            observations[start] = {"error": error}
            start += 1
    return {"observations": wire.encode(observations), "problems": problems,
            "output": output[:OUTPUT_KEPT].decode(errors="replace")}


def _run_child(request, probes, start, output):
    """Fork a child that loads the submission and runs probes[start:]; returns (load info, results, stop)."""
    read_end, write_end = os.pipe()
    out_read, out_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end), os.close(out_read)
        _child(request, probes, start, write_end, out_write)
    os.close(write_end), os.close(out_write)
    drain = threading.Thread(target=_drain, args=(out_read, output), daemon=True)
    drain.start()
    lines = _Lines(read_end)
    loaded, results, stop = {}, [], None
    try:
        first = lines.next(request["load_timeout"])
        if isinstance(first, str):
            loaded = json.loads(first)
            if "fatal" in loaded:
                return loaded, results, (None, failure("SubmissionError", loaded["fatal"]))
            for index in range(start, len(probes)):
                line = lines.next(request["probe_timeout"])
                if not isinstance(line, str):
                    stop = (index, _why(line, pid, request, output, probe=probes[index]))
                    break
                results.append((index, wire.decode(json.loads(line))))
        else:
            stop = (None, _why(first, pid, request, output))
    finally:
        _kill(pid)
        os.close(read_end)
        drain.join(timeout=1)
    return loaded, results, stop


def _child(request, probes, start, write_end, out_write):
    try:
        os.setsid()
        limit = request["memory"]
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.chdir(tempfile.mkdtemp(prefix="submission-"))
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0), os.dup2(out_write, 1), os.dup2(out_write, 2)
        channel = os.fdopen(write_end, "w")
        try:
            submission = load(os.path.join(request["folder"], request["name"]), request["exercise"])
        except SubmissionError as error:
            channel.write(json.dumps({"fatal": str(error)}) + "\n")
            channel.flush()
            os._exit(0)
        channel.write(json.dumps({"problems": submission.problems}) + "\n")
        channel.flush()
        for probe in probes[start:]:
            channel.write(json.dumps(wire.encode(observe(submission.namespace, probe))) + "\n")
            channel.flush()
    except BaseException:  # noqa: BLE001  (whatever happened, the worker reports it from the exit status)
        os._exit(70)
    os._exit(0)


class _Lines:
    """Lines from a pipe, each awaited with a deadline: a str, or a _Stop saying why not."""

    def __init__(self, fd):
        self.fd, self.buffer = fd, b""

    def next(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return _Stop("timeout")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return _Stop("timeout")
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return _Stop("eof")
            self.buffer += chunk
            if len(self.buffer) > LINE_LIMIT:
                return _Stop("too large")
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()


class _Stop:
    """Why no line came: "timeout", "eof" or "too large"."""

    def __init__(self, reason):
        self.reason = reason


def _why(stop, pid, request, output, probe=None):
    what = f"while {probe['label']}" if probe and probe.get("label") else "while loading the submission"
    if stop.reason == "timeout":
        limit = request["probe_timeout"] if probe else request["load_timeout"]
        return failure("Timeout", f"stopped after {limit:g} s {what}: an endless loop, or far too much work")
    if stop.reason == "too large":
        return failure("Crash", f"returned far more data than asked for {what}")
    status = _reap(pid)
    tail = output[:OUTPUT_KEPT].decode(errors="replace").strip().splitlines()[-1:] or [""]
    said = f"; its last output line: {tail[0][:200]}" if tail[0] else ""
    if status is not None and os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return failure("Crash", f"the submission's process was killed by {name} {what}{said}")
    code = os.WEXITSTATUS(status) if status is not None else "unknown"
    return failure("Crash", f"the submission's process ended with exit code {code} {what}{said}")


def _reap(pid):
    try:
        _, status = os.waitpid(pid, 0)
        return status
    except ChildProcessError:
        return None


def _kill(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass
    _reap(pid)


def _drain(fd, output):
    """Keep the first bytes of the submission's output, read and drop the rest."""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(1 << 16):
            if len(output) < OUTPUT_KEPT:
                output += chunk[: OUTPUT_KEPT - len(output)]


def _kill_strays():
    """In the sandbox's own PID namespace: end every process but init and this worker (escaped daemons)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in (1, os.getpid()):
            try:
                os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break


if __name__ == "__main__":
    main()
