"""How long does nbgrader's Validate button take on a passing notebook of each exercise?

The button asks the notebook server, which has nbgrader loaded already, to run nbgrader's Validator on the
notebook: a fresh kernel runs every cell (under NBGRADER_EXECUTION=validate) and the answer comes back. This
runs that same Validator in one warm process, on each released notebook with its answer cells filled in from
the reference (what a student who answered right validates), interleaved with two floors measured alike
(goal: a passing notebook validated in at most 3 s):
  import torch     python -c "import torch", which the notebook's first cell pays in the kernel
  empty notebook   the Validator on a notebook of one cell, `1`: a kernel started, run and stopped
Prints medians, minima and maxima as a Markdown table.
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


def answered(release):
    """The released notebook with every answer cell holding the reference's definitions of the names it defines."""
    notebook = nbformat.read(release, as_version=4)
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
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the kernel's warnings about its own transport, once per start
    from nbgrader.validator import Validator

    validator = Validator()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for release in RELEASE.glob("*.ipynb"):
            nbformat.write(answered(release), folder / release.name)
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
        tasks |= {f"Validate {notebook.name}": validate(notebook.name) for notebook in sorted(RELEASE.glob("*.ipynb"))}
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
