"""How long does each source notebook take to run top to bottom, as a student runs it (goal: under a minute)?

Each notebook runs in a fresh python3 kernel through nbclient, kernel start included, `--runs` times,
the notebooks interleaved so that machine noise hits all alike. The training cells (a tiny model per
notebook) are the bulk of it. Prints medians, minima and maxima as a Markdown table.
"""
import argparse
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOURCE = sorted((ROOT / "source" / "attention").glob("*.ipynb"))


def run(path):
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times = {path.name: [] for path in SOURCE}
    for _ in range(args.runs):
        for path in SOURCE:
            times[path.name].append(run(path))
    print("| notebook | median | min | max |\n|---|---|---|---|")
    for name, taken in times.items():
        print(f"| `{name}` | {statistics.median(taken):.1f} s | {min(taken):.1f} s | {max(taken):.1f} s |")


if __name__ == "__main__":
    main()
