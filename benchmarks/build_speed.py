"""How long does a build take when it has nothing to do, against one that checks every file?

Side by side in one run, interleaved, on the course as it is (goal: a build with nothing to do ≤ 5 s):
  build (nothing to do)   python -m autograder build, after a build that left every file current
  build --check           python -m autograder build --check: every file made again in memory and compared
  python -c pass          the interpreter's own start, for scale
Prints medians, minima and maxima as a Markdown table, and says whether any file changed.
"""
import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from check_speed import timed  # the same stopwatch: a subprocess run as a user runs it

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ("exercises", "source", "release", "autograder/fixtures")


def snapshot():
    return {path: path.stat().st_mtime_ns for folder in GENERATED for path in (ROOT / folder).rglob("*") if path.is_file()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    named = {"python -m autograder build (nothing to do)": [python, "-m", "autograder", "build"],
             "python -m autograder build --check": [python, "-m", "autograder", "build", "--check"],
             "python -c pass": [python, "-c", "pass"]}
    subprocess.run(named["python -m autograder build (nothing to do)"], cwd=ROOT, check=True, capture_output=True)
    before = snapshot()
    times = {name: [] for name in named}
    for _ in range(args.runs):
        for name, command in named.items():
            times[name].append(timed(command, ROOT))
    print(f"{args.runs} runs each, interleaved, {os.cpu_count()} cores, course at {ROOT}\n")
    print("| command | median | min | max |")
    print("|---|---|---|---|")
    for name, values in times.items():
        print(f"| `{name}` | {statistics.median(values):.2f} s | {min(values):.2f} s | {max(values):.2f} s |")
    print("\ngenerated files rewritten: " + ("none" if snapshot() == before else "some (the course was not current)"))


if __name__ == "__main__":
    main()
