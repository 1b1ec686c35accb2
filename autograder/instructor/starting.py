"""What every grading command does first, before the grader imports torch: read the settings, find the
submissions, and start the workers in the background (`grade` and Gradescope's run; the nbgrader plugin starts its
own from the course's config). Nothing here imports torch."""
from ..discovery import discover
from .sandbox import WorkerPool
from .kit_settings import load

def early_start(paths, *, exercise=None, jobs=None, timeout=None, isolate=None, one_student=False):
    """(settings, what discovery found, workers starting in the background), before the grader imports torch:
    the workers boot theirs meanwhile, so the first grade waits for about one import of torch, not two.
    one_student: each folder is one student's upload (discovery.discover's)."""
    settings = load()
    if timeout is not None:  # flags given on the command line win over the config file
        settings.probe_timeout = timeout
    found = discover(paths, exercise, one_student=one_student)
    targets = found[0]
    pool = WorkerPool.for_settings(settings, len(targets), jobs=jobs, isolate=isolate, wait=False) if targets else None
    return settings, found, pool
