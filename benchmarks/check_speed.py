"""How long does a student wait for `python -m autograder check` on one complete notebook?

Side by side in one run, interleaved so that machine noise hits all three alike:
  import torch              python -c "import torch": the floor for anything that runs the student's code
  autograder check          the kit's self-check on the notebook
  nbgrader validate         stock nbgrader's self-check on the same notebook (kernel start, every cell)
Prints medians and ratios as a Markdown table.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import registry  # noqa: E402

# Exercise 2's source notebook: complete (the solutions are filled in), two parts, masks and padding.
NOTEBOOK = ROOT / "source" / "attention" / registry.exercises()[1].notebook


def commands(notebook):
    python = sys.executable
    return {
        "python -c 'import torch'": [python, "-c", "import torch"],
        "python -m autograder check": [python, "-m", "autograder", "check", str(notebook)],
        "nbgrader validate": [python, "-m", "nbgrader", "validate", str(notebook)],
    }


def timed(command, cwd):
    environment = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs = {name: [] for name in commands(NOTEBOOK)}
    with tempfile.TemporaryDirectory() as workdir:
        for name, command in commands(NOTEBOOK).items():  # warm the file cache once
            timed(command, workdir)
        for _ in range(args.runs):
            for name, command in commands(NOTEBOOK).items():
                runs[name].append(timed(command, workdir))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    torch_time, check_time, validate_time = medians.values()
    print(f"{NOTEBOOK.name}, {args.runs} interleaved runs each, {os.cpu_count()} cores\n")
    print("| command | median | min | max |")
    print("|---|---|---|---|")
    for name, times in runs.items():
        print(f"| `{name}` | {medians[name]:.2f} s | {min(times):.2f} s | {max(times):.2f} s |")
    print(f"\n`check` minus `import torch`: {check_time - torch_time:+.2f} s (goal: within 1 s)")
    print(f"`nbgrader validate` / `check`: {validate_time / check_time:.1f}x (goal: at least 2x)")


if __name__ == "__main__":
    main()
