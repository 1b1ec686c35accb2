"""The sandbox's file system, namespaces and privilege: the bubblewrap command line a worker runs under, the
check that it can run here at all, and the copy of autograder/sandboxed/ it mounts as /kit."""
import importlib.util
import os
import shutil
import site
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from ... import sandboxed
from .. import SOLUTIONS
from .filters import child_seccomp_program, seccomp_program


SANDBOXED = Path(sandboxed.__file__).resolve().parent  # copied whole into every worker's /kit
KIT_MOUNT, INBOX_MOUNT = "/kit", "/submissions"
SANDBOX_UID = 61000  # as root, worker k runs as uid SANDBOX_UID + k: its thread limit (RLIMIT_NPROC) is its own
TMP_SIZE, SHM_SIZE = 256 * 1024 * 1024, 64 * 1024 * 1024


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
_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "USER": "student", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
                "PYTHONHASHSEED": "0"}


def interpreter_locations():
    """The folders the interpreter needs: its prefixes (a venv and the Python it was made from) and the
    folder of the real executable, outermost first, none inside another. Each as the interpreter names it and as
    it resolves: a venv reached through a link (a clone whose .venv links to another, a home folder that is a
    link) reads its packages by the first and runs files found by the second."""
    found = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent,
             Path(sys.executable).absolute().parent, Path(os.path.abspath(sys.prefix)),
             Path(os.path.abspath(sys.base_prefix))}
    kept = sorted(found, key=lambda path: len(path.parts))
    return [path for index, path in enumerate(kept) if not any(other in path.parents for other in kept[:index])]


# Top-level packages of the kit in any install: its own, and the reference and stubs an older kit installed there
INSTALLED_NAMES = ("autograder", "solutions", "exercises")


def _hidden_locations():
    """Every installed copy of the kit and of the reference inside the interpreter's folders, which the sandbox
    mounts: the one this process imports (found without importing it), and any other, such as a wheel installed
    beside the checkout that is graded from, whose copy the import system never reaches."""
    hidden = set()
    for name in ("autograder", SOLUTIONS):  # the reference is inside the kit, or (editable) mapped elsewhere
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            hidden |= {Path(location).resolve() for location in spec.submodule_search_locations}
    bound = [Path("/usr"), *interpreter_locations()]  # what the sandbox mounts that packages live in
    # where this interpreter looks, and every Python's packages under what is mounted (Debian's dist-packages for
    # its python3, /usr/local's where `sudo pip install` puts them), whether this interpreter looks there or not
    folders = [Path(entry or ".") for entry in [*sys.path, *site.getsitepackages()]]
    folders += [found for root in bound for pattern in ("lib*/python3*/*-packages", "local/lib*/python3*/*-packages")
                for found in root.glob(pattern)]
    hidden |= {(folder / name).resolve() for folder in folders for name in INSTALLED_NAMES if (folder / name).is_dir()}
    return sorted(location for location in hidden if any(prefix in location.parents for prefix in bound))


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
