"""python -m autograder VERB …  (check, grade, build, bundle)"""
import argparse
import signal
import sys


def check_main(*, paths, exercise=None):
    """Public checks on the student's own notebooks or files, in this process; 1 if any check fails."""
    from . import checks
    from .loader import discover
    from .loader import load
    from .probes import observer
    from .report import text

    targets, _ = discover(paths, exercise)
    failed = False
    for target in targets:
        submission = load(target.path, target.exercise)
        report = checks.run(target.exercise, observer(submission.namespace), public_only=True)
        report.submission, report.problems = str(target.path), submission.problems
        print(text(report), end="\n\n")
        failed |= report.score < report.max_score
    return 1 if failed else 0


def parser():
    top = argparse.ArgumentParser(prog="python -m autograder", description="Attention exercises: check, grade, build.")
    verbs = top.add_subparsers(dest="verb", required=True)

    check = verbs.add_parser("check", help="self-check: run the public checks on your notebook or exercises file")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a notebook, an exercises .py file, or a folder of them")
    check.add_argument("--exercise", help="exercise id when the file name does not say it")

    grade = verbs.add_parser("grade", help="grade submissions with public and hidden checks")
    grade.add_argument("paths", nargs="+", metavar="PATH", help="notebooks, .py files, or folders (nbgrader submitted/ trees)")
    grade.add_argument("--exercise", help="exercise id when file names do not say it")
    grade.add_argument("--json", dest="json_out", metavar="FILE", help="write results as JSON to FILE, or - for stdout")
    grade.add_argument("--jobs", type=int, metavar="N", help="submissions graded at once (default: KitSettings.jobs)")
    grade.add_argument("--timeout", type=float, help="seconds one check may run student code (default: KitSettings.probe_timeout)")
    grade.add_argument("--seed", type=int, help="seed for the hidden checks' inputs (default: KitSettings.hidden_seed)")
    grade.add_argument("--summary", action="store_true", help="print one line per submission instead of every check")
    grade.add_argument("--out", metavar="DIR", help="write results.json, grades.csv, feedback/ and the class report here")
    grade.add_argument("--no-isolation", dest="isolate", action="store_false", default=None,
                       help="run student code without the sandbox (it can then read and change whatever you can)")

    bundle = verbs.add_parser("bundle", help="build the archive students receive (no solutions, no hidden checks)")
    bundle.add_argument("--out", default="out/attention-student.zip", help="where to write it (default %(default)s)")

    verbs.add_parser("config", help="list the instructor settings (c.KitSettings in nbgrader_config.py)")
    verbs.add_parser("gradescope", help="`gradescope build`: the autograder zip; `gradescope run DIR --out FILE`: results.json")

    build = verbs.add_parser("build", help="regenerate exercises/, source answer cells, fixtures and release/")
    build.add_argument("--check", action="store_true", help="change nothing; exit 1 if any generated file is stale")
    return top


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["gradescope"]:  # its own verbs: build, run
        from .gradescope import main as gradescope_main

        return gradescope_main(argv[1:])
    args = parser().parse_args(argv)
    from .loader import SubmissionError

    try:
        if args.verb == "check":
            return check_main(paths=args.paths, exercise=args.exercise)
        if args.verb == "grade":
            from .grading import main as grade_main

            # stopped by SIGTERM (a batch system, a timeout): unwind, so workers and temporary folders go too
            signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))

            grade_main(paths=args.paths, exercise=args.exercise, json_out=args.json_out, jobs=args.jobs,
                       timeout=args.timeout, seed=args.seed, summary_only=args.summary, out=args.out, isolate=args.isolate)
            return 0
        if args.verb == "build":
            from .build import main as build_main

            return build_main(check=args.check)
        if args.verb == "config":
            from .settings import describe, load

            print(describe(load()))
            return 0
        if args.verb == "bundle":
            from .bundle import main as bundle_main

            bundle_main(out=args.out)
    except SubmissionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        if type(error).__name__ not in ("SandboxError", "IsolationError"):
            raise
        print(f"error: {error}; nothing was graded", file=sys.stderr)
        return 3
    except ModuleNotFoundError as missing:
        if not (missing.name or "").startswith("autograder."):
            raise
        print(f"error: `{args.verb}` is for instructors and is not part of the student kit", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
