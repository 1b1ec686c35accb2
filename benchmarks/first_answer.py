"""How long does one submission wait for its grade, against a bare `import torch` on the same machine?

Side by side in one run, interleaved so that machine noise hits all alike (goal: each ≤ 1.5× import torch):
  import torch              python -c "import torch": the floor for anything that runs the student's code
  grade one student         python -m autograder grade <one student's notebooks> (every notebook, hidden checks too)
  gradescope run            the same through Gradescope's entry point (results.json)
  nbgrader autograde        nbgrader autograde of that one student with the kit's plugin (--force: a regrade)
  import nbgrader           python -c "import nbgrader.apps.nbgraderapp": what the nbgrader command imports before
                            it reads the course's config, where the kit's plugin first runs
  nbgrader autograde, class nbgrader autograde of a class of CLASS_SIZE students (copies of the one) with the kit's
                            plugin, its time divided by CLASS_SIZE: what each student of a class costs
--also-under DIR also runs every command from a clone of this repository made under DIR, its virtual environment
linked in file by file (a course and environment under /tmp: containers, CI, notebook servers), interleaved with
the ones here. Prints medians, minima and maxima as a Markdown table, and each median's ratio to import torch
where it ran.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDENT = Path("samples") / "submitted" / "ada" / "attention"
CLASS_SIZE = 10


def clone_under(folder):
    """A clone of this repository's HEAD under folder, with this interpreter's environment linked into it."""
    clone = Path(tempfile.mkdtemp(prefix="attention-kit-", dir=folder)) / "kit"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    if subprocess.run(["cp", "-al", sys.prefix, str(clone / ".venv")], capture_output=True).returncode != 0:
        shutil.copytree(sys.prefix, clone / ".venv", symlinks=True)  # another file system: copied instead
    return clone


def course(kit, python, folder, students=1):
    """An nbgrader course at folder with students submitted students (copies of one of kit's samples), its
    gradebook made."""
    shutil.copytree(kit / "source", folder / "source")
    shutil.copy(kit / "nbgrader_config.py", folder / "nbgrader_config.py")
    for number in range(students):
        shutil.copytree(kit / STUDENT, folder / "submitted" / ("ada" if number == 0 else f"ada{number}") / "attention")
    subprocess.run([str(python), "-m", "nbgrader", "generate_assignment", "attention", "--force"], cwd=folder,
                   check=True, capture_output=True, env=environment(kit, python, folder))
    return folder


def environment(kit, python, course_root=None):
    """The kit at kit importable first (nbgrader finds the plugin by name), the interpreter's bin/ on PATH."""
    extra = {"PYTHONPATH": str(kit), "PATH": os.pathsep.join([str(Path(python).parent), os.environ["PATH"]])}
    if course_root:
        extra["NBGRADER_COURSE_ROOT"] = str(course_root)
    return dict(os.environ, **extra)


def commands(kit, python, out):
    """{name: (command, folder to run it in, environment)} for a kit checkout and its interpreter."""
    student = str(kit / STUDENT)
    nbgrader_course = course(kit, python, out / "course")
    nbgrader_class = course(kit, python, out / "class", students=CLASS_SIZE)
    here = environment(kit, python)
    return {
        "python -c 'import torch'": ([str(python), "-c", "import torch"], kit, here),
        "python -m autograder grade (one student)": ([str(python), "-m", "autograder", "grade", student, "--summary"],
                                                     kit, here),
        "python -m autograder gradescope run": ([str(python), "-m", "autograder", "gradescope", "run", student, "--out",
                                                 str(out / "results.json")], kit, here),
        "nbgrader autograde (one student, kit plugin)": ([str(python), "-m", "nbgrader", "autograde", "attention",
                                                          "--force"], nbgrader_course,
                                                         environment(kit, python, nbgrader_course)),
        "python -c 'import nbgrader.apps.nbgraderapp'": ([str(python), "-c", "import nbgrader.apps.nbgraderapp"], kit,
                                                         here),
        f"nbgrader autograde, class of {CLASS_SIZE}, per student": (
            [str(python), "-m", "nbgrader", "autograde", "attention", "--force"], nbgrader_class,
            environment(kit, python, nbgrader_class)),
    }
# what a time is divided by: the students it graded
PER_STUDENT = {f"nbgrader autograde, class of {CLASS_SIZE}, per student": CLASS_SIZE}


def run_timed(command, folder, env):
    """Seconds the command took (it must succeed), run as a user runs it."""
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0 or "Exception while loading config" in completed.stderr:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--also-under", metavar="DIR", help="also time a clone made under DIR (e.g. /tmp)")
    args = parser.parse_args()
    # each place's results and nbgrader course live where it does: under out/ here, beside the clone there
    (ROOT / "out").mkdir(exist_ok=True)
    places = {"here": (ROOT, Path(sys.executable), Path(tempfile.mkdtemp(prefix="first-answer-", dir=ROOT / "out")))}
    if args.also_under:
        clone = clone_under(args.also_under)
        places[f"under {args.also_under}"] = (clone, clone / ".venv" / "bin" / "python", clone.parent / "scratch")
    try:
        named = {}
        for place, (kit, python, scratch) in places.items():
            scratch.mkdir(exist_ok=True)
            for name, value in commands(kit, python, scratch).items():
                named[(place, name)] = value
        times = {key: [] for key in named}
        for key, value in named.items():  # warm the file cache once
            run_timed(*value)
        for _ in range(args.runs):
            for key, value in named.items():
                times[key].append(run_timed(*value) / PER_STUDENT.get(key[1], 1))
    finally:
        shutil.rmtree(places["here"][2], ignore_errors=True)
        if args.also_under:
            shutil.rmtree(clone.parent, ignore_errors=True)
    print(f"{args.runs} runs each, interleaved, {os.cpu_count()} cores\n")
    print("| where | command | median | min | max | median / import torch |")
    print("|---|---|---|---|---|---|")
    for (place, name), values in times.items():
        floor = statistics.median(times[(place, "python -c 'import torch'")])
        where = str(ROOT) if place == "here" else place
        median = statistics.median(values)
        print(f"| {where} | `{name}` | {median:.2f} s | {min(values):.2f} s | {max(values):.2f} s | {median / floor:.2f}x |")


if __name__ == "__main__":
    main()
