"""python -m autograder VERB …  (check, grade, build, bundle)"""
import argparse
import os
import sys


def check_main(*, paths, exercise=None):
    """Public checks on the student's own notebooks or files, in this process; 1 if any check fails."""
    from . import registry
    from .discovery import discover
    from .report import text
    from .selfcheck import check_file, part_points

    targets, _ = discover(paths, exercise)
    failed = False
    for target in targets:
        report = check_file(target.path, target.exercise)
        total = sum(part_points(target.exercise, part) for part in registry.get(target.exercise).parts)
        print(text(report, out_of=total), end="\n\n")  # "7/7 points of 10 for the exercise (…)"
        failed |= report.score < report.max_score
    return 1 if failed else 0


try:  # the seam between the two audiences: the student kit has no instructor/ folder
    from .instructor import cli as instructor
except ModuleNotFoundError as missing:
    if missing.name != f"{__package__}.instructor":
        raise
    instructor = None

INSTRUCTOR_VERBS = ("grade", "bundle", "config", "explain", "new", "gradescope", "build")


def parser():
    top = argparse.ArgumentParser(prog="python -m autograder", description="Attention exercises: check, grade, build.")
    verbs = top.add_subparsers(dest="verb", required=True)

    check = verbs.add_parser("check", help="self-check: run the public checks on your notebook or exercises file")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a notebook, an exercises .py file, or a folder of them")
    check.add_argument("--exercise", help="exercise id when the file name does not say it")
    if instructor is not None:
        instructor.add_verbs(verbs)
    else:
        for verb in INSTRUCTOR_VERBS:
            verbs.add_parser(verb, help="for instructors: not part of the student kit", add_help=False)
    return top


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    for stream in (sys.stdout, sys.stderr):  # a locale other than C.UTF-8 makes stdout strict: a file name that
        if hasattr(stream, "reconfigure"):  # is not UTF-8 must never stop the batch at its last print
            stream.reconfigure(errors="backslashreplace")
    args, rest = parser().parse_known_args(argv)
    if args.verb != "check" and instructor is None:
        print(f"error: `{args.verb}` is for instructors and is not part of the student kit", file=sys.stderr)
        return 2
    if rest and args.verb != "gradescope":
        parser().parse_args(argv)  # says what it did not understand, and exits 2
    from .sandboxed.loader import SubmissionError

    try:
        if args.verb == "check":
            return check_main(paths=args.paths, exercise=args.exercise)
        return instructor.run(args, argv[1:])
    except SubmissionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _exit(code):
    """End now: every file is written and every worker gone by the time main returns, and the interpreter's
    teardown (torch's alone takes about half a second) is time a user would wait after the last line."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    _exit(main())
