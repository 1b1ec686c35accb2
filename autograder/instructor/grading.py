"""Grading, without input or output: every check of a submission, run in the sandbox and judged here.

The command line (batch.py), the nbgrader plugin and Gradescope all grade through
grade(); the reference enters only as the engine's oracle (reference.py).
"""
import threading
from concurrent.futures import ThreadPoolExecutor

from .. import engine, registry
from ..sandboxed.errors import ErrorKind, failure
from .reference import REFERENCE, asked
from .sandbox import WorkerPool


def run_checks(exercise, observe_all, settings, *, parts=None, seed=None):
    """Every check of the exercise (or of some parts), public and hidden, with the course's settings."""
    course = settings.course()
    chosen = engine.select(exercise, parts=parts, course=course)
    return engine.run(exercise, observe_all, chosen, seed=settings.hidden_seed if seed is None else seed,
                      oracle=REFERENCE, course=course)


def grade(target, pool, settings, *, seed=None):
    """The report of one submission (a discovery.Target), its code run by one of the pool's workers."""
    problems, parts = ([target.shared] if target.shared else []), registry.get(target.exercise).parts

    def observe_all(probes):
        with pool.worker() as worker:
            observations, found = worker.observe(target.path, target.exercise, parts, probes,
                                                 siblings=not target.shared)
        problems.extend(found)
        return observations

    report = run_checks(target.exercise, observe_all, settings, seed=seed)
    report.submission, report.student, report.problems = str(target.path), target.student, problems
    return report


def expect(exercises, settings, *, seed=None):
    """Ask the reference's answers on every probe the exercises' checks compare with it (reference.asked): what a
    correct submission's judging waits for, asked once, while workers start (read from the build's answers where
    it made them)."""
    for exercise in dict.fromkeys(exercises):
        for probes in asked(exercise, settings, seed):
            REFERENCE.expected(exercise, probes)


def refuse(target, why, settings):
    """The report of a submission that is not handed to the sandbox at all (a link, a file that is not a
    notebook): every check an error that says why, as a refusal by a worker reads."""
    error = failure(ErrorKind.REFUSED, why)
    report = run_checks(target.exercise, lambda probes: [{"error": error} for _ in probes], settings)
    report.submission, report.student, report.problems = str(target.path), target.student, [why]
    return report


def grade_all(targets, settings, *, jobs=None, isolate=None, seed=None, done=None, started=None, pool=None):
    """Reports of every target, in order, graded jobs at a time in warm workers (pool's, when one is given,
    which this closes). done(report) is called as each finishes; started(pool) once the workers are up.

    Two grading threads per worker: one judges a submission in this process while the other's runs in the
    worker. The reference's answers are computed while the workers start (the oracle's lock keeps them the same
    whoever asks first)."""
    pool = pool or WorkerPool.for_settings(settings, len(targets), jobs=jobs, isolate=isolate)
    warming = threading.Thread(target=_quietly, args=(expect, [target.exercise for target in targets], settings),
                               kwargs={"seed": seed}, daemon=True)
    warming.start()
    with pool, ThreadPoolExecutor(max_workers=2 * len(pool.workers)) as threads:
        pool.ready()
        if started:
            started(pool)

        def one(target):
            report = grade(target, pool, settings, seed=seed)
            if done:
                done(report)
            return report

        return list(threads.map(one, targets))


def _quietly(function, *args, **kwargs):
    """Run function for what it leaves in the oracle's cache; a failure there shows again, where it counts, when
    the same answer is asked for while judging."""
    try:
        function(*args, **kwargs)
    except Exception:  # noqa: BLE001
        pass
