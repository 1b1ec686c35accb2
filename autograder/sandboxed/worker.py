"""A warm worker: torch imported once, then one forked child per submission.

This module runs next to student code, so it and everything it imports must hold
nothing the student may not see: it imports nothing outside autograder/sandboxed/,
which the grader copies whole into the sandbox (tests/test_layout.py holds it to that).

Protocol, one JSON line each way per submission, on the worker's stdin and on a
private copy of its stdout that no child inherits:
  request   {"folder", "name", "exercise", "parts", "probes", "probe_timeout", "load_timeout", "run_timeout", "memory",
             "answers"}
  response  {"observations": [...], "problems": [...], "output": "first bytes the code printed"}
The worker first says "ready" once torch is loaded (and, when the grader handed it a filter for
children, once it has seen that filter refuse a fork). The child sends one line per probe as it goes,
so a hang or a crash costs only the probe in flight: the worker marks it, forks a new child, and
carries on with the rest.
A child's line that does not fit the protocol (wire.observation) counts as a crash of that child.

With --child-filter HEX (a BPF program the grader built with libseccomp), each child installs that
filter on itself just before student code runs: student code can start threads, which share the one
address space its memory limit caps, but no process (fork, vfork and clone but of a thread fail), so a
submission holds one process's memory in all, with or without a cgroup around the worker.

Children are forked by a zygote: a process forked once, before the worker sees any submission, which
only ever receives requests and the pipes to hand on. The worker's own memory holds what earlier
children answered (their outputs, their error lines, what they printed); a child forked from the
zygote starts with none of it.
"""
import ctypes
import json
import os
import resource
import signal
import socket
import stat
import struct
import sys
import tempfile
import threading
import time

import torch  # noqa: F401  (the point of a warm worker: every child starts with torch loaded)

from . import wire
from .loader import SubmissionError, load
from .errors import ErrorKind, failure
from .lines import Lines
from .probes import observe, warm

ZYGOTE = None  # set in main()
CHILD_FILTER = None  # BPF program (bytes) every child installs before student code runs; set in main()
OUTPUT_KEPT = 16 * 1024  # bytes of the submission's own output kept for messages
LINE_LIMIT = 32 * 1024 * 1024  # an observation larger than this is not a plausible answer
CONTAINERS_LIMIT = 1 << 16  # lists and dicts in one answer: parsed, each costs ~60 bytes per 2 bytes of text
RELOAD_BUDGET = 1.5  # load_timeouts a submission may spend loading, all its restarts after stopped checks together
# Limits of the process that runs student code, besides its address space (request["memory"]).
CHILD_LIMITS = {
    resource.RLIMIT_NPROC: 128,  # processes and threads of the sandbox's user (CHILD_FILTER refuses processes)
    resource.RLIMIT_FSIZE: 64 * 1024 * 1024,  # bytes in one file it writes
    resource.RLIMIT_NOFILE: 256,  # open files
    resource.RLIMIT_CORE: 0,  # no core dumps
}
SCRATCH = ("/tmp", "/dev/shm")  # emptied after every submission: nothing carries over to the next


def main():
    arguments = sys.argv[1:]
    own_namespace = "--own-pid-namespace" in arguments
    if "--user" in arguments:
        _become(int(arguments[arguments.index("--user") + 1]))
    _not_dumpable()
    global CHILD_FILTER, ZYGOTE
    if "--child-filter" in arguments:
        CHILD_FILTER = bytes.fromhex(arguments[arguments.index("--child-filter") + 1])
        if problem := _filter_problem(CHILD_FILTER):  # student code is never run unfiltered: no worker at all
            sys.exit(f"the worker cannot refuse new processes to student code: {problem}")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as PID 1, only signals it handles reach it: it handles none
    channel = os.fdopen(_private(1), "w")
    requests = os.fdopen(_private(0), "r")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0), os.dup2(devnull, 1)  # stray prints must not corrupt the protocol
    torch.set_num_threads(1)
    warm()  # what each child would pay on its first probe, paid once here, before the zygote is forked
    ZYGOTE = Zygote(own_namespace)
    channel.write("ready\n")  # torch is loaded: the grader may send work
    channel.flush()
    os.dup2(devnull, 2)  # the grader stops reading stderr once the worker is ready
    for line in requests:
        response = grade(json.loads(line))
        clean = True
        if own_namespace:
            ZYGOTE.kill_strays()
            _reap_orphans()
            clean = _empty_scratch()
        if not clean:  # something the submission left could not be removed: a fresh worker, fresh scratch space
            response["retire"] = True
        channel.write(json.dumps(response) + "\n")
        channel.flush()
        if not clean:
            return


class ZygoteGone(Exception):
    """The zygote died or stopped answering (a submission may kill it): the worker ends, the grader starts another."""


class Zygote:
    """The process every child is forked from (see the module docstring). Messages on a SEQPACKET socket:
    b"S" + request (in chunks), with the child's two pipe ends attached -> the child's pid; b"R" + pid ->
    its wait status; b"K" -> every process of the namespace killed but the worker (its PID 1) and the zygote."""

    CHUNK = 32 * 1024

    def __init__(self, own_namespace):
        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            self.socket.close()
            _zygote(theirs, own_namespace)  # never returns
        theirs.close()
        self.pid = pid
        self.socket.settimeout(5)  # it answers at once (a reap within a second): a stopped zygote costs only this

    def _ask(self, message, fds=()):
        try:
            if fds:
                socket.send_fds(self.socket, [message[:1]], list(fds))
                for start in range(1, len(message), self.CHUNK):
                    self.socket.send(message[start:start + self.CHUNK])
                self.socket.send(b"")  # the end of the request
            else:
                self.socket.send(message)
            answer = self.socket.recv(64)
        except OSError as error:
            raise ZygoteGone(str(error)) from None
        if not answer:
            raise ZygoteGone("the zygote is gone")
        return struct.unpack("!q", answer)[0]

    def spawn(self, request, start, write_end, out_write):
        payload = json.dumps({"request": request, "start": start}).encode()  # probes as the grader sent them
        return self._ask(b"S" + payload, (write_end, out_write))

    def reap(self, pid):
        status = self._ask(b"R" + struct.pack("!q", pid))
        return None if status < 0 else status

    def kill_strays(self):
        self._ask(b"K")


def _zygote(sock, own_namespace):
    """The zygote's loop: fork children, reap them, and (from outside PID 1) kill every stray at once."""
    try:
        # nothing of the worker's but this socket: not its channel to the grader, nor its requests
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, sock.fileno())
        os.closerange(sock.fileno() + 1, os.sysconf("SC_OPEN_MAX"))
        while True:
            message, fds, _, _ = socket.recv_fds(sock, Zygote.CHUNK + 1, 2)
            if not message:
                os._exit(0)
            kind, body = message[:1], message[1:]
            if kind == b"S":
                while chunk := sock.recv(Zygote.CHUNK + 1):
                    body += chunk
                work = json.loads(body)
                pid = os.fork()
                if pid == 0:
                    sock.close()
                    _child(work["request"], wire.decode(work["request"]["probes"]), work["start"], *fds)
                for fd in fds:
                    os.close(fd)
                sock.send(struct.pack("!q", pid))
            elif kind == b"R":
                sock.send(struct.pack("!q", _status(struct.unpack("!q", body)[0])))
            elif kind == b"K":
                if own_namespace:
                    _kill_strays()
                sock.send(struct.pack("!q", 0))
    except BaseException:  # noqa: BLE001  (the worker sees the zygote gone and ends)
        os._exit(71)


def _status(pid):
    """The wait status of the zygote's child pid, or -1 if it is not there. A child that closed its pipes
    but lives on gets a second to end, then is killed: the worker never waits on it for long."""
    deadline, pause = time.monotonic() + 1, 0.0005
    while time.monotonic() < deadline:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return -1
        if done:
            return status
        time.sleep(pause)  # a killed child is gone within a millisecond or so: look again soon, then less often
        pause = min(2 * pause, 0.01)
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    status = _reap(pid)
    return -1 if status is None else status


def _become(uid):
    """Root in the sandbox (bubblewrap run by root keeps CAP_SETUID and CAP_SETGID for this): become an
    unprivileged user with no capabilities left, before anything else runs."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    with open("/proc/self/status") as status:
        effective = next(line for line in status if line.startswith("CapEff:")).split()[1]
    if os.getuid() != uid or int(effective, 16) != 0:
        sys.exit(f"the worker could not drop its privileges (uid {os.getuid()}, CapEff {effective})")


def _not_dumpable():
    """Processes of the same user may not read this one's memory or file descriptors through /proc."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0


PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_SET_NO_NEW_PRIVS = 22, 2, 38


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _refuse_processes(program):
    """Install the BPF program (sock_filter records, as libseccomp exports them) on this process and the
    threads it starts from now on. Filters stack and none can be removed: student code can only add its own.
    Called in a child just forked, which has one thread."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    instructions = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.addressof(instructions))
    # no new privileges first: what lets an unprivileged process install a filter (bubblewrap set it already)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"the seccomp filter for student code could not be installed: {os.strerror(error)}")


def _filter_problem(program):
    """None when a process that installed program cannot fork (EPERM) and can still start a thread; else what
    went wrong. Checked once, in a process forked for it, before the worker says it is ready."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        verdict = b"ok"
        try:
            _refuse_processes(program)
            try:
                if os.fork() == 0:
                    os._exit(0)
                verdict = b"a fork was not refused"
            except PermissionError:
                started = threading.Thread(target=lambda: None)
                started.start()
                started.join()
        except BaseException as error:  # noqa: BLE001  (reported to the worker, which refuses to start)
            verdict = f"{type(error).__name__}: {error}".encode(errors="replace")
        os.write(write_end, verdict[:500])
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        verdict = reader.read().decode(errors="replace")
    _reap(pid)
    return None if verdict == "ok" else verdict or "the process that checked it died"


def _private(fd):
    """A copy of fd for the worker's own use; a child closes it (and every other descriptor but its own)."""
    copy = os.dup(fd)
    os.set_inheritable(copy, False)
    return copy


def grade(request):
    probes = wire.decode(request["probes"])
    observations, problems, output = [None] * len(probes), [], bytearray()
    start, loading, longest, received, running = 0, 0.0, 0.0, [0], [0.0]
    while start < len(probes):
        message = None
        if start and loading + longest > RELOAD_BUDGET * request["load_timeout"]:  # the next load would pass it
            # each stop reloads the submission: a slow load times a check that hangs, check after check,
            # would hold the worker (and the students after) for minutes
            message = (f"not run: after {loading:.0f} s spent loading the submission again and again, after "
                       "checks that stopped, the rest were given up")
        elif running[0] >= _run_budget(request):  # slow calls, each under the probe timeout, add up the same way
            message = f"not run: {_spent(request)}"
        if message:
            for rest in range(start, len(probes)):
                observations[rest] = {"error": failure(ErrorKind.TIMEOUT, message)}
            break
        began, counted = time.monotonic(), running[0]
        loaded, results, stop = _run_child(request, probes, start, output, received, running)
        took = time.monotonic() - began
        seconds = loaded.pop("seconds", took)
        loading, longest = loading + seconds, max(longest, seconds)
        # what the child cost besides its load and the waits for answers (ending it, reaping it, draining its
        # output) is charged too: a child that closes its answer pipe at once and lingers would cost that much
        # on every check while its answers took no time
        running[0] = max(running[0], counted + took - seconds)
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


def _run_budget(request):
    return request.get("run_timeout") or float("inf")


def _spent(request):
    return (f"the submission's checks had run its code for {_run_budget(request):g} s in all, as long as one "
            "submission may take; far too much work, or waiting on purpose")


def _run_child(request, probes, start, output, received, running):
    """Fork a child that loads the submission and runs probes[start:]; returns (load info, results, stop).
    received[0] counts the bytes of answers taken from the submission so far, restarts included; running[0]
    the seconds its probes have run, which the request's run_timeout bounds."""
    read_end, write_end = os.pipe()
    out_read, out_write = os.pipe()
    try:
        pid = ZYGOTE.spawn(request, start, write_end, out_write)
    finally:
        os.close(write_end), os.close(out_write)
    drain = threading.Thread(target=_drain, args=(out_read, output), daemon=True)
    drain.start()
    lines = Lines(read_end, LINE_LIMIT)
    loaded, results, stop = {}, [], None
    try:
        began = time.monotonic()
        first = lines.next(request["load_timeout"])
        seconds = time.monotonic() - began
        if isinstance(first, str):
            loaded = _load_report(first)
            if loaded is None:
                return {}, results, (None, failure(ErrorKind.CRASH, "the submission's process sent an answer the grader "
                                                            "cannot read while loading the submission"))
            if "fatal" in loaded:
                return loaded, results, (None, failure(ErrorKind.REFUSED, loaded["fatal"]))
            loaded["seconds"] = seconds
            for index in range(start, len(probes)):
                left = _run_budget(request) - running[0]
                began = time.monotonic()
                line = lines.next(max(0.0, min(request["probe_timeout"], left)))
                running[0] += time.monotonic() - began
                if not isinstance(line, str):
                    if line.reason == "timeout" and left < request["probe_timeout"]:
                        what = probes[index].get("label", "a check")
                        stop = (index, failure(ErrorKind.TIMEOUT, f"stopped while {what}: {_spent(request)}"))
                    else:
                        stop = (index, _why(line, pid, request, output, probe=probes[index]))
                    break
                received[0] += len(line)
                if received[0] > request["answers"]:
                    what = probes[index].get("label", "a check")
                    stop = (index, failure(ErrorKind.CRASH, f"the submission's answers passed {request['answers']:,} bytes "
                                                    f"in all while {what}: answers this large are not plausible"))
                    break
                if line.count("[") + line.count("{") > CONTAINERS_LIMIT:
                    what = probes[index].get("label", "a check")
                    stop = (index, failure(ErrorKind.CRASH, f"the submission's process sent an answer of more than "
                                                    f"{CONTAINERS_LIMIT:,} lists while {what}: not a plausible answer"))
                    break
                try:
                    results.append((index, wire.observation(json.loads(line))))
                except (ValueError, RecursionError) as error:
                    what = probes[index].get("label", "a check")
                    stop = (index, failure(ErrorKind.CRASH, f"the submission's process sent an answer the grader cannot "
                                                    f"read ({str(error)[:200]}) while {what}"))
                    break
        else:
            stop = (None, _why(first, pid, request, output))
    finally:
        _kill(pid)
        os.close(read_end)
        drain.join(timeout=1)
    return loaded, results, stop


def _load_report(line):
    """{"problems": [str]} or {"fatal": str} from the child's first line, or None if it is neither."""
    try:
        report = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if isinstance(report, dict) and set(report) == {"fatal"} and isinstance(report["fatal"], str):
        return {"fatal": report["fatal"][:wire.MAX_TEXT]}
    if (isinstance(report, dict) and set(report) == {"problems"} and isinstance(report["problems"], list)
            and len(report["problems"]) <= 64 and all(isinstance(problem, str) for problem in report["problems"])):
        return {"problems": [problem[:wire.MAX_TEXT] for problem in report["problems"]]}
    return None


def _child(request, probes, start, write_end, out_write):
    try:
        os.setsid()
        # nothing of the worker's is left open: only the child's own answer pipe and its output
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0), os.dup2(out_write, 1), os.dup2(out_write, 2)
        os.dup2(write_end, 3)
        os.closerange(4, os.sysconf("SC_OPEN_MAX"))
        limit = request["memory"]
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        for kind, value in CHILD_LIMITS.items():
            resource.setrlimit(kind, (value, value))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file too large fails with an error, not a silent kill
        os.chdir(tempfile.mkdtemp(prefix="submission-"))
        if CHILD_FILTER is not None:  # last: from here on this process starts threads, never processes
            _refuse_processes(CHILD_FILTER)
        channel = os.fdopen(3, "w")
        try:
            submission = load(os.path.join(request["folder"], request["name"]), request["exercise"], request["parts"])
        except SubmissionError as error:
            channel.write(json.dumps({"fatal": str(error)}) + "\n")
            channel.flush()
            os._exit(0)
        channel.write(json.dumps({"problems": submission.problems}) + "\n")
        channel.flush()
        for probe in probes[start:]:
            channel.write(json.dumps(wire.encode(observe(submission.namespace, probe))) + "\n")
            channel.flush()
    except BaseException as error:  # noqa: BLE001  (whatever happened, the worker reports it from the exit status)
        try:
            os.write(2, f"{type(error).__name__}: {error}\n".encode(errors="replace"))
        finally:
            os._exit(70)
    os._exit(0)


def _why(stop, pid, request, output, probe=None):
    what = f"while {probe['label']}" if probe and probe.get("label") else "while loading the submission"
    if stop.reason == "timeout":
        limit = request["probe_timeout"] if probe else request["load_timeout"]
        return failure(ErrorKind.TIMEOUT, f"stopped after {limit:g} s {what}: an endless loop, or far too much work")
    if stop.reason == "too large":
        return failure(ErrorKind.CRASH, f"returned far more data than asked for {what}")
    status = ZYGOTE.reap(pid)
    tail = output[:OUTPUT_KEPT].decode(errors="replace").strip().splitlines()[-1:] or [""]
    said = f"; its last output line: {tail[0][:200]}" if tail[0] else ""
    if status is not None and os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return failure(ErrorKind.CRASH, f"the submission's process was killed by {name} {what}{said}")
    code = os.WEXITSTATUS(status) if status is not None else "unknown"
    return failure(ErrorKind.CRASH, f"the submission's process ended with exit code {code} {what}{said}")


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
    ZYGOTE.reap(pid)


def _drain(fd, output):
    """Keep the first bytes of the submission's output, read and drop the rest."""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(1 << 16):
            if len(output) < OUTPUT_KEPT:
                output += chunk[: OUTPUT_KEPT - len(output)]


def _kill_strays():
    """Run by the zygote, in the sandbox's own PID namespace: end every process but the worker (PID 1,
    which a signal from inside cannot reach) and the zygote itself, daemons and fork chains included.
    kill(-1) signals them all at once, under the kernel's task-list lock, and a fork with SIGKILL
    pending fails, so no process can slip between a listing and its kill."""
    pause = 0.0005
    for _ in range(100):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:  # nobody left to signal
            pass
        _reap_orphans()
        others = [entry for entry in os.listdir("/proc") if entry.isdigit() and int(entry) not in (1, os.getpid())
                  and not _zombie(entry)]
        if not others:
            return
        time.sleep(pause)  # killed, not yet gone: the worker (PID 1) reaps the orphans
        pause = min(2 * pause, 0.01)


def _zombie(pid):
    """Whether the process has ended and only waits to be reaped (by the worker, whose orphans they are)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def _reap_orphans():
    """Collect whatever children are done (the worker, as PID 1, inherits every orphan of the namespace)."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                return
        except ChildProcessError:
            return


def _empty_scratch():
    """Empty the scratch space for the next submission; whether it is empty now (but for mounts below it).

    Read-only mounts below it (an interpreter that lives under /tmp) are left alone, and never walked.
    Paths are never built: every name is removed relative to its open folder, so a tree deeper than
    PATH_MAX goes too. What still cannot go (a tree deeper than REMOVE_DEPTH) makes the worker retire."""
    clean = True
    for folder in SCRATCH:
        if not os.path.isdir(folder):
            continue
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for entry in os.listdir(fd):
                _remove_at(fd, entry)
            clean &= all(_mounted_at(fd, entry) for entry in os.listdir(fd))
        finally:
            os.close(fd)
    return clean


REMOVE_DEPTH = 200  # folders open at once while removing a tree; deeper ones retire the worker instead


def _remove_at(parent, name, depth=0):
    """Remove name (in the open folder parent) and what it holds, but no mount point and nothing below one;
    a folder the submission made unreadable is opened again first (it ran as this same user)."""
    try:
        if not stat.S_ISDIR(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode):
            os.unlink(name, dir_fd=parent)
            return
        if _mounted_at(parent, name) or depth >= REMOVE_DEPTH:
            return
        os.chmod(name, 0o700, dir_fd=parent)
        fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
        try:
            for entry in os.listdir(fd):
                _remove_at(fd, entry, depth + 1)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=parent)
    except OSError:
        pass


def _mounted_at(parent, name):
    """Whether name, in the open folder parent, is a mount point (another file system than its folder's)."""
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False).st_dev != os.fstat(parent).st_dev
    except OSError:
        return False


if __name__ == "__main__":
    main()
