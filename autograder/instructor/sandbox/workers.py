"""The grader's side of a warm worker (Worker: start it shut in, send it a submission's probes, read back
observations) and a pool of them shared by grading threads (WorkerPool)."""
import json
import math
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ...sandboxed.errors import ErrorKind, failure
from ...sandboxed.lines import Lines
from .bubblewrap import (INBOX_MOUNT, KIT_MOUNT, SANDBOX_UID, _ENVIRONMENT, IsolationError, Runtime, SandboxError,
                         _bubblewrap_command, isolation_problem, refusal)
from .cgroups import CONFINED_EXTRA, CONFINED_PROCESSES, Confinement
from .copying import SubmissionRefused, copy_submission
from .filters import child_seccomp_program, seccomp_program


RESPONSE_LIMIT = 64 * 1024 * 1024  # bytes of one worker answer
SUBMISSIONS_PER_WORKER = 16  # see WorkerPool.for_settings
# Python as isolated as -I but for -E: the environment is the kit's own (_ENVIRONMENT, nothing inherited), and it
# fixes the string hash seed, so that a set of names iterates in one order every run and a grade never depends on
# which seed a worker drew. -B: no bytecode written.
PYTHON_FLAGS = ("-s", "-P", "-B")
BOOT = "import sys; sys.path.insert(0, {kit!r}); from autograder.sandboxed.worker import main; main()"


@dataclass(frozen=True)
class Limits:
    probe_timeout: float = 5.0  # seconds for one probe (one call into student code)
    load_timeout: float = 20.0  # seconds to load the submission (run its answer cells)
    run_timeout: float = 30.0  # seconds all of one submission's probes may run together (honest work takes about 1)
    answers: int = 128 * 1024 * 1024  # bytes of answers one submission may send in all (the worker holds them)
    memory: int = 2 * 1024**3  # bytes of address space for the submission's process


class Worker:
    def __init__(self, limits=Limits(), isolate=True, runtime=None, index=0):
        self.limits, self.index = limits, index
        self.isolated = bool(isolate)
        if self.isolated and isolation_problem():  # before anything is made that would need removing
            raise IsolationError(refusal(isolation_problem()))
        self.own_runtime = runtime is None
        self.runtime = runtime or Runtime()
        self.inbox = Path(tempfile.mkdtemp(prefix="attention-inbox-"))
        os.chmod(self.inbox, 0o755)
        try:
            self._start()
        except BaseException:
            shutil.rmtree(self.inbox, ignore_errors=True)
            if self.own_runtime:
                self.runtime.close()
            raise

    def _start(self):
        uid = SANDBOX_UID + self.index
        self.worker_pid, info, program = None, None, None
        if self.isolated:
            boot = BOOT.format(kit=KIT_MOUNT)
            program = seccomp_program()
            info, info_write = os.pipe()
            command, fds = _bubblewrap_command([sys.executable, *PYTHON_FLAGS, "-c", boot, "--own-pid-namespace",
                                                "--child-filter", child_seccomp_program().hex()] +
                                               (["--user", str(uid)] if os.geteuid() == 0 else []),
                                               self.runtime.path, self.inbox, program, uid, info=info_write)
            self.folder_inside = INBOX_MOUNT
        else:
            boot = BOOT.format(kit=str(self.runtime.path))
            command, fds = [sys.executable, *PYTHON_FLAGS, "-c", boot], []
            self.folder_inside = str(self.inbox)
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, pass_fds=fds, cwd=str(self.inbox),
                                            env=dict(_ENVIRONMENT, PATH=os.environ.get("PATH", "/usr/bin:/bin")),
                                            start_new_session=True)
        finally:
            for fd in fds:
                os.close(fd)
        if info is not None:
            self.worker_pid = _child_pid(info)
        self.confinement = None
        if self.worker_pid is not None:
            # the worker (torch loaded) and the child (its address space) together, and the child's processes
            self.confinement = Confinement(f"attention-kit-{os.getpid()}-{self.index}-{self.worker_pid}",
                                           memory=self.limits.memory + CONFINED_EXTRA, processes=CONFINED_PROCESSES)
            if self.confinement.active:
                self.confinement.add(self.worker_pid)
        self.lines = Lines(self.process.stdout.fileno(), RESPONSE_LIMIT)
        if self.lines.next(300) != "ready":
            self.close()
            reason = self.process.stderr.read().decode(errors="replace").strip().splitlines()[-3:]
            raise SandboxError("the grading sandbox could not start a worker" +
                               (": " + " / ".join(reason) if reason else ""))
        self.process.stderr.close()  # from here on, the worker reports only through stdout

    def observe(self, path, exercise, parts, probes, siblings=True):
        """(observations, problems) for the probes run on the submission at path (with the files beside it, where
        siblings: copy_submission)."""
        from ...sandboxed import wire  # torch: the grader imports it while its workers start

        path = Path(path)
        folder = Path(tempfile.mkdtemp(dir=self.inbox))
        os.chmod(folder, 0o755)
        try:
            problems = copy_submission(path, folder, siblings=siblings)
            request = {"folder": f"{self.folder_inside}/{folder.name}", "name": path.name, "exercise": exercise, "parts": list(parts),
                       "probes": wire.encode(probes), "probe_timeout": self.limits.probe_timeout,
                       "load_timeout": self.limits.load_timeout, "run_timeout": self.limits.run_timeout,
                       "memory": self.limits.memory,
                       "answers": self.limits.answers}
            deadline = self.limits.load_timeout + len(probes) * (self.limits.probe_timeout + 2) + 60
            answer, trouble = self._ask(request, deadline, len(probes))
        except SubmissionRefused as refused:
            error = failure(ErrorKind.REFUSED, str(refused))
            return [{"error": error} for _ in probes], [str(refused)]
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if answer is None:
            error = failure(ErrorKind.CRASH, f"{trouble}; the submission was not graded")
            return [{"error": error} for _ in probes], problems
        if answer[2]:  # it could not empty its scratch space: the next submission gets a fresh worker
            self.close()
            self._start()
        return answer[0], problems + answer[1]

    def _ask(self, request, deadline, count):
        """((observations, problems), None), or (None, what went wrong); a worker that went wrong is replaced."""
        trouble = "the grading worker stopped"
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
            line = self.lines.next(deadline)
            if isinstance(line, str):
                return _response(line, count), None
            trouble = {"timeout": "the grading worker did not answer in time",
                       "too large": "the grading worker's answer was far too large"}.get(line.reason, trouble)
        except (BrokenPipeError, OSError):
            pass
        except (ValueError, RecursionError) as error:
            trouble = f"the grading worker sent an answer the grader cannot read ({str(error)[:200]})"
        self.close()
        self._start()
        return None, trouble

    def close(self):
        # the worker first: it is PID 1 of its namespace, in a session of its own, and takes the rest with it
        for kill, target in ((os.kill, self.worker_pid), (os.killpg, self.process.pid)):
            try:
                if target:
                    kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.wait()
        if getattr(self, "confinement", None) is not None:
            self.confinement.close()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def shutdown(self):
        self.close()
        shutil.rmtree(self.inbox, ignore_errors=True)
        if self.own_runtime:
            self.runtime.close()


def _child_pid(info):
    """The worker's pid, read from bwrap's --info-fd (a JSON object, then end of file); None if none came."""
    data, deadline = b"", time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([info], [], [], deadline - time.monotonic())
            chunk = os.read(info, 1 << 16) if ready else b""
            if not chunk:
                break
            data += chunk
    finally:
        os.close(info)
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def _response(line, count):
    """The worker's answer, checked: (observations, problems). Raises ValueError when it does not fit."""
    from ...sandboxed import wire

    data = json.loads(line)
    if not isinstance(data, dict) or set(data) - {"retire"} != {"observations", "problems", "output"} or \
            data.get("retire", True) is not True:
        raise wire.Malformed("the answer does not have the expected fields")
    problems = data["problems"]
    if not isinstance(problems, list) or not all(isinstance(problem, str) for problem in problems) or len(problems) > 64:
        raise wire.Malformed("the answer's problems are not a list of messages")
    return wire.observations(data["observations"], count), [wire.text(problem) for problem in problems], \
        "retire" in data


class WorkerPool:
    """N warm workers shared by grading threads; started side by side.

    With wait=False the workers start in the background (each boots torch in its own process while the
    grader does something else, such as importing torch itself); the first use waits for them, and a
    refusal or a failure to start is raised then."""

    def __init__(self, size, limits=Limits(), isolate=True, wait=True):
        self.runtime = Runtime()
        self.workers, self.errors = [None] * max(1, size), []
        self.idle, self.closed = None, False

        def start(index):
            try:
                self.workers[index] = Worker(limits, isolate, self.runtime, index)
            except Exception as error:  # noqa: BLE001  (reported below, after the others started or failed)
                self.errors.append(error)

        self.threads = [threading.Thread(target=start, args=(index,), daemon=True) for index in range(len(self.workers))]
        for thread in self.threads:
            thread.start()
        if wait:
            self.ready()

    @classmethod
    def for_settings(cls, settings, submissions, *, jobs=None, isolate=None, wait=True):
        """The workers grading so many submissions needs, as the settings (KitSettings) and the command line's
        flags ask. A worker costs an import of torch on a core of its own (1.5 to 2.5 s here) and grades a
        notebook in 40 to 150 ms, so another one pays for itself only past SUBMISSIONS_PER_WORKER submissions."""
        isolate = settings.isolation != "off" if isolate is None else isolate
        size = max(1, min(jobs or settings.jobs, math.ceil(submissions / SUBMISSIONS_PER_WORKER)))
        return cls(size, settings.limits(), isolate, wait=wait)

    def ready(self):
        """Wait for every worker; raise the first failure (after closing what started)."""
        if self.idle is not None:
            return self
        try:
            for thread in self.threads:
                thread.join()
        except BaseException:  # stopped while starting (SIGTERM, ^C): what started goes
            for thread in self.threads:
                thread.join()
            self.close()
            raise
        if self.errors:
            self.close()
            raise self.errors[0]
        self.idle = queue.Queue()
        for worker in self.workers:
            self.idle.put(worker)
        return self

    @property
    def isolated(self):
        self.ready()
        return all(worker.isolated for worker in self.workers)

    @contextmanager
    def worker(self):
        worker = self.ready().idle.get()
        try:
            yield worker
        finally:
            self.idle.put(worker)

    def close(self):
        if self.closed:
            return
        for thread in self.threads:  # a worker still starting is shut down once it has
            thread.join()
        self.closed = True
        for worker in self.workers:
            if worker is not None:
                worker.shutdown()
        self.runtime.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
