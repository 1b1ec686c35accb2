"""The instructor's verbs of `python -m autograder`: grade, build, bundle, config, explain, new, gradescope.

__main__.py imports this module, and nothing else of instructor/, to add these verbs; the student kit
has no instructor/ folder, and there the verbs say they are for instructors.
"""
import signal
import sys


def add_verbs(verbs):
    """Add the instructor's verbs to the command line's subparsers."""
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
    new = verbs.add_parser("new", help="lay out every file a new exercise needs, with a working example in each")
    new.add_argument("exercise_id", metavar="ID", help="the new exercise's id: lower-case letters, digits and _")
    new.add_argument("--title", help="its title (default: made from the id)")
    explain = verbs.add_parser("explain", help="where a check is defined (file:line), what it compares, and the "
                                               "known mistakes that fail it")
    explain.add_argument("check_ids", nargs="+", metavar="CHECK_ID", help="a check's id as grade prints it: "
                                                                          "<exercise>.<check>")
    # its own verbs and options, and its own --help
    verbs.add_parser("gradescope", add_help=False,
                     help="`gradescope build`: the autograder zip; `gradescope run DIR --out FILE`: results.json")

    build = verbs.add_parser("build", help="regenerate exercises/, source answer cells, fixtures and release/")
    build.add_argument("exercises", nargs="*", metavar="EXERCISE", help="build only these exercises' files (default: all)")
    build.add_argument("--check", action="store_true", help="change nothing; exit 1 if any generated file is stale")


def run(args, rest):
    """Run an instructor's verb; returns the exit code. Refusals (settings, sandbox) are said in one line."""
    from .sandbox import SandboxError
    from .kit_settings import SettingsError

    try:
        if args.verb == "gradescope":  # its own verbs: build, run
            from .gradescope import main as gradescope_main

            return gradescope_main(rest)
        if args.verb == "grade":
            # stopped by SIGTERM (a batch system, a timeout): unwind, so workers and temporary folders go too
            signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
            from .starting import early_start

            settings, found, pool = early_start(args.paths, exercise=args.exercise, jobs=args.jobs, timeout=args.timeout,
                                                isolate=args.isolate)
            try:
                from .batch import main as grade_main  # torch, imported while the workers boot theirs

                grade_main(paths=args.paths, exercise=args.exercise, json_out=args.json_out, seed=args.seed,
                           summary_only=args.summary, out=args.out, settings=settings, found=found, pool=pool)
            finally:
                if pool is not None:
                    pool.close()  # grading closes it; this is for whatever stopped before
            return 0
        if args.verb == "build":
            from .build import main as build_main

            return build_main(check=args.check, only=args.exercises)
        if args.verb == "config":
            from .kit_settings import describe, load

            print(describe(load()))
            return 0
        if args.verb == "new":
            from .scaffold import main as new_main

            return new_main(args.exercise_id, args.title)
        if args.verb == "explain":
            from .explain import main as explain_main

            return explain_main(args.check_ids)
        if args.verb == "bundle":
            from .bundle import main as bundle_main

            bundle_main(out=args.out)
            return 0
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SandboxError as error:
        print(f"error: {error}; nothing was graded", file=sys.stderr)
        return 3
    raise ValueError(f"not an instructor's verb: {args.verb}")
