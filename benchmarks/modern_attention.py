"""Tiled attention against F.scaled_dot_product_attention and the plain formula: time and peak memory.

The exercise this file is named after asks students for tiled_attention (exact attention, block by
block, with an online softmax); this times the reference answer at sizes larger than the notebook's.
Side by side in one run, on this machine's CPU, for 8 heads of 64 features and growing n:

  time        median of --repeats runs, the three ways interleaved so that machine noise hits all alike
  tensors     the most bytes held at once by tensors each way creates (autograder/sandboxed/memory.py,
              the counter the grader's memory check uses); a fused kernel's scratch space is invisible to it
  RSS         how far the process's peak resident memory rose during one call, each (way, n) in a fresh
              process: the operating system's view, scratch space and allocator included, coarse

Prints Markdown tables. No GPU figures: run on a machine with one to add them.
"""
import argparse
import importlib
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from autograder import registry  # noqa: E402
from autograder.instructor import SOLUTIONS  # noqa: E402
from autograder.sandboxed.memory import peak_bytes  # noqa: E402

EXERCISE = registry.get(Path(__file__).stem)
HEADS, HEAD_DIM, BLOCK = 8, 64, 128


def plain(query, key, value):
    return torch.softmax(query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1]), dim=-1) @ value


def ways():
    tiled = importlib.import_module(f"{SOLUTIONS}.{EXERCISE.id}").tiled_attention
    return {"tiled_attention (reference, Python loop)": lambda q, k, v: tiled(q, k, v, block_size=BLOCK),
            "plain softmax(QKᵀ/√d)V": plain,
            "F.scaled_dot_product_attention": F.scaled_dot_product_attention}


def inputs(n):
    generator = torch.Generator().manual_seed(n)
    return [torch.randn(1, HEADS, n, HEAD_DIM, generator=generator) for _ in range(3)]


def rss_rise(name, n):
    """Peak RSS rise of one call, in a fresh process (MiB). It reads VmHWM, the high-water mark of the process's
    own memory: ru_maxrss would carry over the peak of this (large) parent across fork and exec."""
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.argv = ['x']\n"
            f"import runpy; bench = runpy.run_path({__file__!r}, run_name='bench')\n"
            f"import torch; torch.set_num_threads({torch.get_num_threads()})\n"
            f"way = bench['ways']()[{name!r}]; q, k, v = bench['inputs']({n})\n"
            "way(*bench['inputs'](64))  # load what the first call loads\n"
            "high = lambda: int(next(line for line in open('/proc/self/status') if line.startswith('VmHWM')).split()[1])\n"
            "before = high()\n"
            "way(q, k, v)\n"
            "print((high() - before) / 1024)")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(completed.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads (1: steady on a shared 2-core machine)")
    parser.add_argument("--json", help="also write the figures here")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    chosen = ways()
    figures = {}
    for n in arguments.lengths:
        q, k, v = inputs(n)
        expected = F.scaled_dot_product_attention(q, k, v)
        runs = {name: [] for name in chosen}
        for _ in range(arguments.repeats):
            for name, way in chosen.items():
                start = time.perf_counter()
                result = way(q, k, v)
                runs[name].append(time.perf_counter() - start)
                assert torch.allclose(result, expected, rtol=1e-4, atol=1e-4), name
        for name, way in chosen.items():
            figures[name, n] = {"median_s": statistics.median(runs[name]), "min_s": min(runs[name]),
                                "max_s": max(runs[name]), "tensors_mib": peak_bytes(way, q, k, v)[1] / 2 ** 20,
                                "rss_mib": rss_rise(name, n)}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch 1, {HEADS} heads of {HEAD_DIM}, "
          f"block {BLOCK}, float32, {arguments.repeats} runs each\n")
    print("| way | n | median | min | max | peak tensors | peak RSS rise |")
    print("|---|---|---|---|---|---|---|")
    for name in chosen:
        for n in arguments.lengths:
            f = figures[name, n]
            print(f"| {name} | {n} | {f['median_s'] * 1000:.1f} ms | {f['min_s'] * 1000:.1f} ms | {f['max_s'] * 1000:.1f} ms "
                  f"| {f['tensors_mib']:.1f} MiB | {f['rss_mib']:.0f} MiB |")
    first, last = arguments.lengths[0], arguments.lengths[-1]
    print(f"\ngrowth from n = {first} to n = {last} ({last / first:.0f}× the tokens):")
    for name in chosen:
        a, b = figures[name, first], figures[name, last]
        print(f"  {name}: time {b['median_s'] / a['median_s']:.1f}×, peak tensors {b['tensors_mib'] / a['tensors_mib']:.1f}×")
    if arguments.json:
        Path(arguments.json).write_text(json.dumps({f"{name} @ {n}": f for (name, n), f in figures.items()}, indent=1))


if __name__ == "__main__":
    main()
