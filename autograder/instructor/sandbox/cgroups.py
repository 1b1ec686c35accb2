"""A cgroup around one worker and everything it starts, where this user may make one."""
import time
from pathlib import Path


CONFINED_EXTRA = 1024**3  # bytes a worker's cgroup holds beyond the child's address space: the worker, tmpfs
CONFINED_PROCESSES = 256  # processes and threads in a worker's cgroup


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
