"""Run submissions' probes in warm, isolated workers and bring back plain observations.

Each worker (worker.py) imports torch once and forks a fresh child per submission. The
worker runs in bubblewrap, shut in as README.md's threat model says:

  file system  built from an allow-list: /usr and the loader's cache, the interpreter and its
               packages (any installed `autograder` or `solutions` hidden), a copy of the few kit
               files a worker needs (autograder/sandboxed/, which knows no reference) at /kit, and the
               submissions it is handed at /submissions; all read-only. /tmp and /dev/shm are small
               private tmpfs, emptied after every submission. Nothing else of the host exists.
  privilege    an unprivileged user with no capabilities and no new privileges; as root, bubblewrap
               keeps only CAP_SETUID/CAP_SETGID for the worker to drop them before it imports
               anything; a seccomp filter (SECCOMP_DENIED) refuses mount, namespaces, ptrace, keys, bpf …
  processes    each child, just before student code runs, adds a second filter of its own (CHILD_REFUSED):
               no fork, vfork or clone but of a thread, no memfd; threads share the one address space that
               the child's memory limit caps, so one submission holds one process's memory, as root and as
               a user alike (where no cgroup can be made)
  namespaces   its own PID, network, IPC, UTS (and cgroup) namespaces; a user namespace when not root
  channel      the worker talks to the grader on descriptors its children close before student code
               runs; what comes back is size-capped and checked against wire's schema before decoding

Where this cannot be set up, grading refuses (IsolationError) unless the instructor asks for
unisolated grading (KitSettings.isolation = "off", or `grade --no-isolation`).
"""
import errno
import importlib.util
import json
import math
import os
import queue
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import sandboxed
from ..sandboxed.channel import ErrorKind, Lines, failure
from ..sandboxed.loader import SUBMISSION_SUFFIXES

SANDBOXED = Path(sandboxed.__file__).resolve().parent  # copied whole into every worker's /kit
FILE_LIMIT = 20 * 1024 * 1024  # bytes of one notebook or .py file handed to a worker
FOLDER_LIMIT = 40 * 1024 * 1024  # bytes of a submission and the files beside it
SIBLING_LIMIT = 64  # files beside a submission that are handed over with it
RESPONSE_LIMIT = 64 * 1024 * 1024  # bytes of one worker answer
SUBMISSIONS_PER_WORKER = 16  # see WorkerPool.for_settings
KIT_MOUNT, INBOX_MOUNT = "/kit", "/submissions"
SANDBOX_UID = 61000  # as root, worker k runs as uid SANDBOX_UID + k: its thread limit (RLIMIT_NPROC) is its own
TMP_SIZE, SHM_SIZE = 256 * 1024 * 1024, 64 * 1024 * 1024
CONFINED_EXTRA = 1024**3  # bytes a worker's cgroup holds beyond the child's address space: the worker, tmpfs
CONFINED_PROCESSES = 256  # processes and threads in a worker's cgroup
SECCOMP_DENIED = [
    # file systems and namespaces: the way out of a bubblewrap sandbox
    "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount", "open_tree", "fsopen", "fsconfig",
    "fsmount", "fspick", "unshare", "setns",
    # other processes, the kernel and its keys
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "keyctl", "add_key", "request_key", "bpf",
    "perf_event_open", "userfaultfd", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog", "iopl", "ioperm",
    "name_to_handle_at", "open_by_handle_at", "lookup_dcookie", "uselib", "vhangup", "personality",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "pidfd_getfd", "migrate_pages", "move_pages",
    "mbind", "set_mempolicy",
    # System V and POSIX message IPC: state that would outlive a submission inside the worker's namespace
    "shmget", "shmat", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
    "semctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
]
# Refused to student code by a second filter that each child sets on itself just before student code runs
# (the zygote must still fork children): no new process, so that one submission holds the memory of one
# address space (RLIMIT_AS caps it), as root and as an ordinary user alike. Threads stay: they share that
# address space. memfd_create would hold memory outside any address space, and outside the scratch tmpfs sizes.
# Chosen over a user cgroup that systemd may delegate (none without a systemd user session: containers, CI,
# su) and over fewer processes per child (RLIMIT_NPROC counts threads as processes: a limit low enough for
# processes × cap to fit the budget would refuse torch its threads): it holds wherever the sandbox's own
# seccomp filter does, the same way for every user, and no code under it can lift it.
CHILD_REFUSED = ["fork", "vfork", "memfd_create"]
CLONE_THREAD = 0x00010000
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080
BOOT = "import sys; sys.path.insert(0, {kit!r}); from autograder.sandboxed.worker import main; main()"


@dataclass(frozen=True)
class Limits:
    probe_timeout: float = 5.0  # seconds for one probe (one call into student code)
    load_timeout: float = 20.0  # seconds to load the submission (run its answer cells)
    run_timeout: float = 30.0  # seconds all of one submission's probes may run together (honest work takes about 1)
    answers: int = 128 * 1024 * 1024  # bytes of answers one submission may send in all (the worker holds them)
    memory: int = 2 * 1024**3  # bytes of address space for the submission's process


class SandboxError(RuntimeError):
    """The grading sandbox could not start: grading stops rather than give everyone zero."""


class IsolationError(SandboxError):
    """Student code cannot be isolated on this machine; the message says why and what to do."""


def isolation_problem():
    """None when workers can be isolated here, else why not and what to install."""
    return _isolation_problem()


@cache
def _isolation_problem():
    path = shutil.which("bwrap")
    if path is None:
        return "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
    try:
        child_seccomp_program()
        program = seccomp_program()
    except Exception as error:  # noqa: BLE001  (any reason the filter cannot be built is reported)
        return f"no seccomp filter can be built ({error}; Debian: apt-get install libseccomp2, and pip install pyseccomp)"
    try:
        command, fds = _bubblewrap_command(["/usr/bin/true"], None, None, program, uid=SANDBOX_UID)
        probe = subprocess.run(command, capture_output=True, pass_fds=fds, timeout=60)
    finally:
        os.close(program)
    if probe.returncode != 0:
        said = probe.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return f"bubblewrap cannot start a sandbox here ({said[0]}); unprivileged users need user namespaces enabled"
    return None


def refusal(problem):
    return (f"student code cannot be isolated on this machine: {problem}. Install what is missing, or, to grade "
            "without isolation (the code you grade can then read and change whatever this user can), pass "
            "--no-isolation or set c.KitSettings.isolation = 'off' in nbgrader_config.py")


def seccomp_program():
    """A file descriptor holding the BPF program bubblewrap loads (--seccomp FD), positioned at its start."""
    import pyseccomp as seccomp

    denied = seccomp.ERRNO(errno.EPERM)
    program = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in SECCOMP_DENIED:
        try:
            program.add_rule(denied, name)
        except (OSError, ValueError, RuntimeError):  # a call this kernel or architecture does not have
            pass
    for flag in (1 << bit for bit in range(32) if CLONE_NAMESPACES & (1 << bit)):
        program.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))  # a new namespace
    program.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # its flags hide behind a pointer: libc falls back to clone
    program.add_rule(denied, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, 0x5412))  # TIOCSTI: type into a terminal
    # Student code runs as the worker's user: it may change its own limits and scheduling, never another
    # process's (the worker's limits and priority would pass to every later submission's process)
    for name in ("prlimit64", "sched_setscheduler", "sched_setparam", "sched_setattr", "sched_setaffinity",
                 "ioprio_set"):
        program.add_rule(denied, name, seccomp.Arg(0, seccomp.NE, 0))
    program.add_rule(denied, "setpriority", seccomp.Arg(0, seccomp.NE, 0))  # a process group or a user
    program.add_rule(denied, "setpriority", seccomp.Arg(1, seccomp.NE, 0))  # another process
    handle = tempfile.TemporaryFile()
    program.export_bpf(handle)
    fd = os.dup(handle.fileno())
    handle.close()
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@cache
def child_seccomp_program():
    """The BPF program (bytes, sock_filter records) each child installs on itself just before student code
    runs: fork, vfork and clone without CLONE_THREAD fail with EPERM, and so does memfd_create; clone3 fails
    with ENOSYS (its flags hide behind a pointer), so that libc falls back to clone for threads and processes
    alike. Built here, where libseccomp is; the worker only hands it to prctl."""
    import pyseccomp as seccomp

    refused = seccomp.ERRNO(errno.EPERM)
    program = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in CHILD_REFUSED:
        try:
            program.add_rule(refused, name)
        except (OSError, ValueError, RuntimeError):  # a call this architecture does not have (fork on arm64)
            pass
    program.add_rule(refused, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))  # a process, not a thread
    program.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    with tempfile.TemporaryFile() as handle:
        program.export_bpf(handle)
        handle.seek(0)
        return handle.read()


def _bubblewrap_command(command, runtime, inbox, program, uid, info=None):
    """The bwrap command line that runs command shut in (see the module docstring), and the fds it needs.

    The command is the namespace's PID 1 (--as-pid-1): signals from inside the namespace cannot kill it,
    and when it ends every process left in the namespace ends with it. bwrap writes the command's pid
    to the fd info.
    """
    arguments = [shutil.which("bwrap"), "--unshare-ipc", "--unshare-pid", "--as-pid-1", "--unshare-net",
                 "--unshare-uts", "--unshare-cgroup-try", "--new-session", "--cap-drop", "ALL"]
    # no --die-with-parent: it follows the thread that started bwrap, not the grader. A worker ends when
    # the grader closes its stdin or dies, and its PID namespace ends with it.
    if os.geteuid() == 0:  # no user namespace (its root could mount again): the worker drops to uid itself
        arguments += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        arguments += ["--unshare-user", "--uid", str(uid), "--gid", str(uid), "--disable-userns"]
    # scratch space first: the interpreter may live below /tmp (a clone there), and a later mount shows on top
    arguments += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(SHM_SIZE), "--tmpfs", "/dev/shm",
                  "--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
    arguments += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            arguments += ["--ro-bind", str(path), str(path)]
    arguments += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    made, sealed = {Path("/"), Path("/tmp"), Path("/dev"), Path("/dev/shm"), Path("/proc")}, []
    for prefix in interpreter_locations():
        if prefix == Path("/usr") or Path("/usr") in prefix.parents:
            continue
        for parent in reversed(prefix.parents):
            if parent in made:
                continue
            if parent.parent in SCRATCH_MOUNTS:
                # The interpreter lives below the scratch space (a clone or a venv under /tmp). The first folder
                # there is a tmpfs of its own, read-only below: the scratch emptying sees a mount and leaves it
                # (so the worker is not retired after each submission), and no submission can rename or chmod
                # the way to the interpreter for the next one.
                arguments += ["--perms", "0755", "--tmpfs", str(parent)]
                sealed.append(str(parent))
            else:  # created for the sandbox, readable, empty but for what is bound below
                arguments += ["--perms", "0755", "--dir", str(parent)]
            made.add(parent)
        arguments += ["--ro-bind", str(prefix), str(prefix)]
        made.add(prefix)
    for location in _hidden_locations():
        arguments += ["--tmpfs", str(location)]
    if runtime is not None:
        arguments += ["--ro-bind", str(runtime), KIT_MOUNT, "--ro-bind", str(inbox), INBOX_MOUNT]
    # What bubblewrap made itself (the root, /dev, the hiding tmpfs) belongs, in a user namespace, to the
    # sandbox's user: read-only, or one submission could plant libraries or files for the next (and fill
    # memory that no limit counts). Only /tmp and /dev/shm stay writable, and they are emptied between
    # submissions.
    for made_here in ("/", "/dev", *map(str, _hidden_locations()), *sealed):
        arguments += ["--remount-ro", made_here]
    arguments += ["--chdir", "/tmp", "--clearenv"]
    for name, value in _ENVIRONMENT.items():
        arguments += ["--setenv", name, value]
    arguments += ["--seccomp", str(program)]
    fds = [program]
    if info is not None:
        arguments += ["--info-fd", str(info)]
        fds.append(info)
    return arguments + ["--"] + command, fds


SCRATCH_MOUNTS = (Path("/tmp"), Path("/dev/shm"))  # the sandbox's writable folders, emptied after each submission
_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "USER": "student", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1"}


def interpreter_locations():
    """The folders the interpreter needs: its prefixes (a venv and the Python it was made from) and the
    folder of the real executable, outermost first, none inside another."""
    found = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent,
             Path(sys.executable).absolute().parent}
    kept = sorted(found, key=lambda path: len(path.parts))
    return [path for index, path in enumerate(kept) if not any(other in path.parents for other in kept[:index])]


def _hidden_locations():
    """Installed copies of the kit and of the reference, wherever they are (found without importing them)."""
    hidden = set()
    for name in ("solutions", "autograder"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            hidden |= {Path(location).resolve() for location in spec.submodule_search_locations}
    bound = interpreter_locations()
    return sorted(location for location in hidden if any(prefix in location.parents for prefix in bound))


class Confinement:
    """A cgroup for one worker and all it starts, where this user may make one (root, on cgroup v1 or v2):
    their memory, processes and CPU are capped together, so that a submission that forks many processes
    each just under its own limits still cannot take the machine, or another worker's core, from the
    rest of the class. Where no cgroup can be made, `active` is False: the child's own filter
    (child_seccomp_program) still keeps a submission to one process, whose address space is capped."""

    ROOT = Path("/sys/fs/cgroup")

    def __init__(self, name, memory, processes, cpus=1):
        self.folders, self.active = [], False
        period = 100_000
        if (self.ROOT / "cgroup.controllers").is_file():  # v2: one tree
            wanted = {"": {"memory.max": memory, "pids.max": processes, "cpu.max": f"{cpus * period} {period}"}}
        else:  # v1: a tree per controller
            wanted = {"memory": {"memory.limit_in_bytes": memory}, "pids": {"pids.max": processes},
                      "cpu": {"cpu.cfs_period_us": period, "cpu.cfs_quota_us": cpus * period}}
        try:
            for controller, settings in wanted.items():
                folder = self.ROOT / controller / name
                folder.mkdir()
                self.folders.append(folder)
                for setting, value in settings.items():
                    (folder / setting).write_text(f"{value}\n")
            self.active = True
        except OSError:
            self.close()

    def add(self, pid):
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(f"{pid}\n")

    def close(self):
        for folder in self.folders:
            for _ in range(50):  # a cgroup goes once its last process has been reaped
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.folders, self.active = [], False


class Runtime:
    """A folder holding autograder/sandboxed/ and nothing else of the kit, readable by the sandbox's user;
    removed on close."""

    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="attention-runtime-"))
        shutil.copytree(SANDBOXED, self.path / "autograder" / "sandboxed",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (self.path / "autograder" / "__init__.py").write_text("")  # a bare package around it
        for folder, _, files in os.walk(self.path):
            os.chmod(folder, 0o755)
            for file in files:
                os.chmod(os.path.join(folder, file), 0o644)

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


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
            command, fds = _bubblewrap_command([sys.executable, "-I", "-B", "-c", boot, "--own-pid-namespace",
                                                "--child-filter", child_seccomp_program().hex()] +
                                               (["--user", str(uid)] if os.geteuid() == 0 else []),
                                               self.runtime.path, self.inbox, program, uid, info=info_write)
            self.folder_inside = INBOX_MOUNT
        else:
            boot = BOOT.format(kit=str(self.runtime.path))
            command, fds = [sys.executable, "-I", "-B", "-c", boot], []
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

    def observe(self, path, exercise, parts, probes):
        """(observations, problems) for the probes run on the submission at path."""
        from ..sandboxed import wire  # torch: the grader imports it while its workers start

        path = Path(path)
        folder = Path(tempfile.mkdtemp(dir=self.inbox))
        os.chmod(folder, 0o755)
        try:
            problems = copy_submission(path, folder)
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
    from ..sandboxed import wire

    data = json.loads(line)
    if not isinstance(data, dict) or set(data) - {"retire"} != {"observations", "problems", "output"} or \
            data.get("retire", True) is not True:
        raise wire.Malformed("the answer does not have the expected fields")
    problems = data["problems"]
    if not isinstance(problems, list) or not all(isinstance(problem, str) for problem in problems) or len(problems) > 64:
        raise wire.Malformed("the answer's problems are not a list of messages")
    return wire.observations(data["observations"], count), [wire.text(problem) for problem in problems], \
        "retire" in data


class SubmissionRefused(Exception):
    """The submission's files cannot be handed over as they are; the message says why and what to do."""


def copy_submission(path, folder):
    """Copy the submission and the notebooks or .py files beside it (exercise 4 imports exercise 2's head)
    into folder, never following a link; returns problems with the files beside it, as messages."""
    source = Path(path)
    info = os.lstat(source)
    if stat.S_ISLNK(info.st_mode):
        raise SubmissionRefused(f"{source.name} is a link; links are never followed: submit the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise SubmissionRefused(f"{source.name} is not a regular file")
    if info.st_size > FILE_LIMIT:
        raise SubmissionRefused(f"{source.name} is {info.st_size / 2**20:.0f} MiB; a submission is far smaller "
                                "than 20 MiB: clear large outputs (Kernel > Restart and Clear Outputs) and submit again")
    copy_file(source, folder / source.name)
    return copy_siblings(source.parent, source.name, folder, info.st_size)


def copy_siblings(directory, name, folder, total=0):
    """Copy the notebooks and .py files in directory, but name, into folder: regular files only, within
    FILE_LIMIT each, FOLDER_LIMIT together (counting total already copied) and SIBLING_LIMIT in number.
    Returns what was left out, as messages."""
    problems, handed = [], 0
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        entries = []
    for entry in entries:
        if entry.name == name or not entry.name.endswith(SUBMISSION_SUFFIXES) or entry.name.startswith("."):
            continue
        if entry.is_symlink():
            problems.append(f"{entry.name} beside the submission is a link and was left out: links are never followed")
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        size = entry.stat(follow_symlinks=False).st_size
        if size > FILE_LIMIT or total + size > FOLDER_LIMIT or handed >= SIBLING_LIMIT:
            problems.append(f"{entry.name} beside the submission was left out: the files are too large or too many")
            continue
        try:
            copy_file(Path(entry.path), folder / entry.name)
        except SubmissionRefused as refused:
            problems.append(f"{entry.name} beside the submission was left out: {refused}")
            continue
        total, handed = total + size, handed + 1
    return problems


def copy_file(source, target):
    """A regular file's bytes, opened without following a link (a link swapped in meanwhile is refused)."""
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise SubmissionRefused(f"{source.name} cannot be read ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as reader, open(target, "wb") as writer:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
            raise SubmissionRefused(f"{source.name} is not a regular file")
        copied = 0
        while chunk := reader.read(1 << 20):  # never more than FILE_LIMIT, even of a file that grows meanwhile
            copied += len(chunk)
            if copied > FILE_LIMIT:
                writer.close()
                os.unlink(target)
                raise SubmissionRefused(f"{source.name} is larger than {FILE_LIMIT // 2**20} MiB")
            writer.write(chunk)
    os.chmod(target, 0o644)


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
