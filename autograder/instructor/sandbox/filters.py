"""The seccomp filters of the sandbox: the one bubblewrap loads for the whole worker, and the one each child adds
just before student code runs (see the package's docstring). Built here, with libseccomp; the worker only loads
the second with prctl."""
import errno
import os
import tempfile
from functools import cache


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
