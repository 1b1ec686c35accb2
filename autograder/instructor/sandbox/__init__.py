"""Run submissions' probes in warm, isolated workers and bring back plain observations.

Each worker (worker.py) imports torch once and forks a fresh child per submission. The
worker runs in bubblewrap, shut in as README.md's threat model says:

  file system  built from an allow-list: /usr and the loader's cache, the interpreter and its
               packages (every installed copy of the kit, the reference in it, hidden), a copy of the few kit
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

The package, by job: filters.py (the seccomp filters), bubblewrap.py (the file system, namespaces and privilege,
and whether they can be had here), cgroups.py (a cgroup per worker), copying.py (what a worker is handed) and
workers.py (the grader's side of a worker, and the pool).
"""
from .bubblewrap import (INBOX_MOUNT, KIT_MOUNT, SANDBOX_UID, SCRATCH_MOUNTS, IsolationError, Runtime, SandboxError,
                         interpreter_locations, isolation_problem, refusal)
from .cgroups import CONFINED_EXTRA, CONFINED_PROCESSES, Confinement
from .copying import FILE_LIMIT, FOLDER_LIMIT, SIBLING_LIMIT, SubmissionRefused, copy_file, copy_siblings, copy_submission
from .filters import CHILD_REFUSED, SECCOMP_DENIED, child_seccomp_program, seccomp_program
from .workers import RESPONSE_LIMIT, SUBMISSIONS_PER_WORKER, Limits, Worker, WorkerPool, _response

__all__ = ["INBOX_MOUNT", "KIT_MOUNT", "SANDBOX_UID", "SCRATCH_MOUNTS", "IsolationError", "Runtime", "SandboxError",
           "interpreter_locations", "isolation_problem", "refusal", "CONFINED_EXTRA", "CONFINED_PROCESSES",
           "Confinement", "FILE_LIMIT", "FOLDER_LIMIT", "SIBLING_LIMIT", "SubmissionRefused", "copy_file",
           "copy_siblings", "copy_submission", "CHILD_REFUSED", "SECCOMP_DENIED", "child_seccomp_program",
           "seccomp_program", "RESPONSE_LIMIT", "SUBMISSIONS_PER_WORKER", "Limits", "Worker", "WorkerPool", "_response"]
