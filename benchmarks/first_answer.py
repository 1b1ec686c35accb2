"""How long does one submission wait for its grade, against a bare `import torch` on the same machine?

Side by side in one run, interleaved so that machine noise hits all alike (goal: grade ≤ 2× import torch):
  import torch          python -c "import torch": the floor for anything that runs the student's code
  grade one student     python -m autograder grade <one student's notebooks> (every notebook, hidden checks too)
  gradescope run        the same through Gradescope's entry point (results.json)
Prints medians, minima and maxima as a Markdown table, and the ratios to import torch.
"""
import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from check_speed import timed  # the same stopwatch: a subprocess run as a user runs it

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "samples" / "submitted" / "ada" / "attention"


def commands(out):
    python = sys.executable
    return {
        "python -c 'import torch'": [python, "-c", "import torch"],
        "python -m autograder grade (one student)": [python, "-m", "autograder", "grade", str(STUDENT), "--summary"],
        "python -m autograder gradescope run": [python, "-m", "autograder", "gradescope", "run", str(STUDENT),
                                                "--out", str(out / "results.json")],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        named = commands(Path(out))
        times = {name: [] for name in named}
        for name, command in named.items():  # warm the file cache once
            timed(command, ROOT)
        for _ in range(args.runs):
            for name, command in named.items():
                times[name].append(timed(command, ROOT))
    floor = statistics.median(times["python -c 'import torch'"])
    print(f"{args.runs} runs each, interleaved, {os.cpu_count()} cores\n")
    print("| command | median | min | max | median / import torch |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| `{name}` | {median:.2f} s | {min(values):.2f} s | {max(values):.2f} s | {median / floor:.2f}x |")


if __name__ == "__main__":
    main()
