"""How long does nbgrader's Validate button take on a passing notebook of each exercise?

The button asks the notebook server, which has nbgrader loaded already, to run nbgrader's Validator on the
notebook: a fresh kernel runs every cell (under NBGRADER_EXECUTION=validate) and the answer comes back. This
runs that same Validator in one warm process, on each released notebook with its answer cells filled in from
the reference (what a student who answered right validates), interleaved with two floors measured alike
(goal: a passing notebook validated in at most 3 s):
  import torch     python -c "import torch", which the notebook's first cell pays in the kernel
  empty notebook   the Validator on a notebook of one cell, `1`: a kernel started, run and stopped
Prints medians, minima and maxima as a Markdown table.

--compare-with REF also validates the released notebooks as they were at git commit REF (read with `git show`, and
answered the same way; the kit's code is this checkout's), interleaved with today's, to show what a change to the
notebooks saved.
"""
import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "release" / "attention"
sys.path.insert(0, str(ROOT))
from autograder.instructor.build import definitions  # noqa: E402


def answered(release, text=None):
    """The released notebook (or text, its JSON) with every answer cell holding the reference's definitions of the
    names it defines."""
    notebook = nbformat.read(release, as_version=4) if text is None else nbformat.reads(text, as_version=4)
    exercise = release.stem.split("_", 1)[1]
    solution = definitions((ROOT / "solutions" / f"{exercise}.py").read_text())
    for cell in notebook.cells:
        names = cell.metadata.get("kit", {}).get("defines")
        if names:
            cell.source = "\n\n\n".join(solution[name] for name in names)
    return notebook


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare-with", metavar="REF", help="also validate the release notebooks of git commit REF")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the kernel's warnings about its own transport, once per start
    from nbgrader.validator import Validator

    validator = Validator()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for release in RELEASE.glob("*.ipynb"):
            nbformat.write(answered(release), folder / release.name)
        if args.compare_with:  # in a folder of their own: notebook 4 imports from the notebooks beside it
            (folder / "then").mkdir()
            for release in RELEASE.glob("*.ipynb"):
                text = subprocess.run(["git", "show", f"{args.compare_with}:{release.relative_to(ROOT)}"], cwd=ROOT,
                                      check=True, capture_output=True, text=True).stdout
                nbformat.write(answered(release, text), folder / "then" / release.name)
        empty = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
        nbformat.write(empty, folder / "empty.ipynb")

        def validate(name):
            def run():
                result = validator.validate(str(folder / name))
                if result.get("failed") or result.get("changed") or result.get("passed"):
                    raise SystemExit(f"{name} did not pass Validate: {result}")
            return run

        def import_torch():
            subprocess.run([sys.executable, "-c", "import torch"], check=True)

        tasks = {"python -c 'import torch'": import_torch, "empty notebook": validate("empty.ipynb")}
        for notebook in sorted(RELEASE.glob("*.ipynb")):
            if args.compare_with:
                tasks[f"Validate {notebook.name} at {args.compare_with}"] = validate(f"then/{notebook.name}")
            tasks[f"Validate {notebook.name}"] = validate(notebook.name)
        times = {name: [] for name in tasks}
        for task in tasks.values():  # warm the file cache once
            task()
        for _ in range(args.runs):
            for name, task in tasks.items():
                start = time.perf_counter()
                task()
                times[name].append(time.perf_counter() - start)
    print(f"{args.runs} runs each, interleaved, {os.cpu_count()} cores, in {ROOT}\n")
    print("| what | median | min | max |")
    print("|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} s | {min(values):.2f} s | {max(values):.2f} s |")


if __name__ == "__main__":
    main()
