"""Run submissions' probes in warm, isolated workers and bring back plain observations.

Each worker (worker.py) imports torch once and forks a fresh child per submission.
Where bubblewrap is available the worker runs in its own mount, PID, network and
IPC namespaces, with the course directory and the installed `solutions` package
hidden under empty file systems: it sees the interpreter, a copy of the few kit
files it needs (CHILD_FILES, none of which knows the reference), and the one
submission folder it is grading. The grader decodes what comes back into plain
tensors and judges it itself.
"""
import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import wire
from .loader import siblings
from .probes import failure

KIT = Path(__file__).resolve().parent
ROOT = KIT.parent
CHILD_FILES = ["__init__.py", "wire.py", "probes.py", "loader.py", "worker.py", "catalog/__init__.py"]
FOLDER_LIMIT = 20 * 1024 * 1024  # bytes of notebooks and .py files copied from a submission's folder


@dataclass(frozen=True)
class Limits:
    probe_timeout: float = 5.0  # seconds for one probe (one call into student code)
    load_timeout: float = 20.0  # seconds to load the submission (run its answer cells)
    memory: int = 2 * 1024**3  # bytes of address space for the submission's process


@cache
def bubblewrap():
    """The bwrap executable, if it can start a sandbox here."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-all", "true"], capture_output=True)
    return path if probe.returncode == 0 else None


@cache
def _runtime():
    """A folder holding just the kit modules a worker needs."""
    runtime = Path(tempfile.mkdtemp(prefix="attention-runtime-"))
    for name in CHILD_FILES:
        target = runtime / "autograder" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(KIT / name, target)
    return runtime


def _solutions_locations():
    """Wherever `solutions` is installed (found without importing it)."""
    spec = importlib.util.find_spec("solutions")
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted({Path(location).resolve() for location in spec.submodule_search_locations})


class SandboxError(RuntimeError):
    """The grading sandbox could not start: grading stops rather than give everyone zero."""


class Worker:
    def __init__(self, limits=Limits(), isolate=True):
        self.limits = limits
        self.inbox = Path(tempfile.mkdtemp(prefix="attention-inbox-"))
        self.isolated = bool(isolate and bubblewrap())
        self._start()

    def _start(self):
        runtime = _runtime()
        command = [sys.executable, "-m", "autograder.worker"]
        if self.isolated:
            command = self._sandboxed(command, runtime) + ["--own-pid-namespace"]
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(runtime), "HOME": "/tmp",
                       "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "LANG": "C.UTF-8"}
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=environment, cwd=str(self.inbox),
                                        text=True, start_new_session=True)
        if _readline(self.process.stdout, 300).strip() != "ready":
            self.close()
            reason = self.process.stderr.read().strip().splitlines()[-3:]
            raise SandboxError("the grading sandbox could not start a worker" +
                               (": " + " / ".join(reason) if reason else ""))
        self.process.stderr.close()  # from here on, the worker reports only through stdout

    def _sandboxed(self, command, runtime):
        # later mounts cover earlier ones: empty /tmp and course, the interpreter back (a venv may live in
        # either), any installed `solutions` hidden again, then the kit's runtime copy and the inbox
        arguments = [bubblewrap(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                     "--tmpfs", "/tmp", "--tmpfs", str(ROOT)]
        for prefix in sorted({Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}):
            arguments += ["--ro-bind", str(prefix), str(prefix)]
        for location in _solutions_locations():
            arguments += ["--tmpfs", str(location)]
        arguments += ["--ro-bind", str(runtime), str(runtime), "--ro-bind", str(self.inbox), str(self.inbox),
                      "--unshare-all", "--die-with-parent", "--new-session", "--chdir", "/tmp"]
        return arguments + command

    def observe(self, path, exercise, probes):
        """(observations, problems) for the probes run on the submission at path."""
        path = Path(path)
        folder = Path(tempfile.mkdtemp(dir=self.inbox))
        try:
            _copy_folder(path, folder)
            request = {"folder": str(folder), "name": path.name, "exercise": exercise, "probes": wire.encode(probes),
                       "probe_timeout": self.limits.probe_timeout, "load_timeout": self.limits.load_timeout,
                       "memory": self.limits.memory}
            response = self._ask(request, deadline=self.limits.load_timeout + len(probes) * (self.limits.probe_timeout + 2) + 60)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if response is None:
            error = failure("Crash", "the grading worker stopped; the submission was not graded")
            return [{"error": error} for _ in probes], []
        return wire.decode(response["observations"]), response["problems"]

    def _ask(self, request, deadline):
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = _readline(self.process.stdout, deadline)
            if answer:
                return json.loads(answer)
        except (BrokenPipeError, OSError, ValueError):
            pass
        self.close()  # a worker that stopped answering is replaced
        self._start()
        return None

    def close(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def shutdown(self):
        self.close()
        shutil.rmtree(self.inbox, ignore_errors=True)


def _readline(stream, deadline):
    import select

    ready, _, _ = select.select([stream], [], [], deadline)
    return stream.readline() if ready else ""


def _copy_folder(path, folder):
    """The submission and the notebooks or .py files beside it (exercise 4 imports exercise 2's head)."""
    copied = 0
    for source in [path] + siblings(path):
        copied += source.stat().st_size
        if copied > FOLDER_LIMIT and source != path:
            break
        shutil.copy(source, folder / source.name)


class WorkerPool:
    """N warm workers shared by grading threads."""

    def __init__(self, size, limits=Limits(), isolate=True):
        self.workers = [Worker(limits, isolate) for _ in range(max(1, size))]
        self.idle = queue.Queue()
        for worker in self.workers:
            self.idle.put(worker)

    @property
    def isolated(self):
        return all(worker.isolated for worker in self.workers)

    @contextmanager
    def worker(self):
        worker = self.idle.get()
        try:
            yield worker
        finally:
            self.idle.put(worker)

    def close(self):
        for worker in self.workers:
            worker.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
