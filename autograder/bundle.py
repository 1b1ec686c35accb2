"""Build the archive students receive: notebooks, stubs, the public checks and their fixtures.

Nothing in it holds reference code or hidden checks: it takes only the kit modules
the self-check needs (STUDENT_MODULES), never solutions/, source/, autograder/hidden/
or misconceptions.py (whose edits quote the reference).
"""
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "attention-student"
STUDENT_MODULES = ["__init__.py", "__main__.py", "checks.py", "compare.py", "diagnosis.py", "wire.py", "probes.py",
                   "loader.py", "report.py", "notebook.py", "plots.py", "pytest_plugin.py"]
REQUIREMENTS = ["torch==2.13.0", "numpy", "matplotlib", "pytest", "ipykernel", "jupyterlab", "notebook"]

PYPROJECT = """[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "attention-exercises"
version = "0.1.0"
requires-python = ">=3.11"

[project.entry-points.pytest11]
attention = "autograder.pytest_plugin"

[tool.setuptools]
packages = ["autograder", "autograder.catalog", "exercises"]

[tool.setuptools.package-data]
autograder = ["fixtures/*.json"]
"""

README = """# Attention exercises

Four notebooks, each worth 10 points, in which you implement attention in PyTorch:

| notebook | you write |
|---|---|
| `release/attention/01_self_attention.ipynb` | `scaled_dot_product_attention`, `SelfAttention` |
| `release/attention/02_masked_self_attention.ipynb` | `causal_mask`, `CausalSelfAttention` |
| `release/attention/03_cross_attention.ipynb` | `CrossAttention` |
| `release/attention/04_multi_head_attention.ipynb` | `MultiHeadAttentionWrapper`, `MultiHeadAttention` |

## Set up once

```
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt -e .
```

## Work

1. `.venv/bin/jupyter lab release/attention` and open the first notebook.
2. Replace each `raise NotImplementedError()` in the cells marked `# YOUR CODE HERE`.
3. Run the locked cell below each answer: a table of checks with points and hints. Every check fails
   until you fill in the stub, so red at the start is expected.
4. From a terminal, the same checks: `.venv/bin/python -m autograder check release/attention/01_self_attention.ipynb`,
   or `.venv/bin/python -m pytest --attention` for all four notebooks.

Prefer an editor? `exercises/*.py` are the same exercises as modules:
`.venv/bin/python -m autograder check exercises/self_attention.py`.

Only your answer cells are graded; put helpers inside them. Warnings and prints cost nothing. These
are the public checks. The grader adds hidden ones with other sizes and weights, so match the
behaviour, not the numbers. Keep the notebooks together: notebook 4 uses your notebook 2 head.
Submit the notebooks as your course asks.
"""


def files():
    """{path in the archive: bytes}."""
    found = {}
    for notebook in sorted((ROOT / "release" / "attention").glob("*.ipynb")):
        found[f"release/attention/{notebook.name}"] = notebook.read_bytes()
    for module in sorted((ROOT / "exercises").glob("*.py")):
        found[f"exercises/{module.name}"] = module.read_bytes()
    for name in STUDENT_MODULES:
        found[f"autograder/{name}"] = (ROOT / "autograder" / name).read_bytes()
    for path in sorted((ROOT / "autograder" / "catalog").glob("*.py")):
        found[f"autograder/catalog/{path.name}"] = path.read_bytes()
    for path in sorted((ROOT / "autograder" / "fixtures").glob("*.json")):
        found[f"autograder/fixtures/{path.name}"] = path.read_bytes()
    found["README.md"] = README.encode()
    found["requirements.txt"] = ("\n".join(REQUIREMENTS) + "\n").encode()
    found["pyproject.toml"] = PYPROJECT.encode()
    return found


def main(*, out):
    """Write the student archive to out (a .zip); returns its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files().items():
            archive.writestr(f"{NAME}/{name}", data)
    print(f"wrote {out} ({len(files())} files)")
    return out
