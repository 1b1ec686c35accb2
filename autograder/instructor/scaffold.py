"""`python -m autograder new ID`: lay out every file a new exercise needs, with a small working example in each.

An exercise is its own files (DESIGN.md, "An exercise is a unit"); this writes them, so that `build` then makes
the rest (its stub, release notebook, fixtures and precomputed answers) and the exercise grades at once: the
reference scores full marks and the stub zero. The example is a function that computes attention weights,
softmax(QKᵀ/√d); replace it, its checks, its known mistake and its correct variant with the exercise's own.

OBLIGATIONS lists every file, what it holds and who reads it; tests/test_layout.py holds every exercise to it
and names what is missing.
"""
import re
import sys
import textwrap

from .. import registry
from . import ROOT

# (path, with {id} and {notebook} filled in; what to put in it)
OBLIGATIONS = [
    ("autograder/catalog/{id}/__init__.py", "the exercise's declaration, EXERCISE = Exercise(id, number, title, parts)"),
    ("autograder/catalog/{id}/public.py", "CHECKS, the checks students run in their self-check (10 points in all with "
                                          "hidden.py's)"),
    ("autograder/catalog/{id}/hidden.py", "CHECKS, the checks only grading runs, on inputs drawn from the course's seed"),
    ("autograder/catalog/{id}/mistakes.py", "MISTAKES, known mistakes as edits of the reference with their hints, and "
                                            "VARIANTS, correct but less precise edits the tolerances must pass"),
    ("solutions/{id}.py", "the reference, its answers between ### BEGIN SOLUTION and ### END SOLUTION"),
    ("source/attention/{notebook}", "the notebook: a setup cell, an answer cell per part (kit.defines) and a locked "
                                    "test cell per part"),
    ("tests/students/{id}_alt.py", "a correct implementation written another way than the reference, which the "
                                   "tests grade for full marks"),
]


def obligations(exercise_id, notebook):
    """[(path, what to put in it)] of one exercise."""
    return [(ROOT / path.format(id=exercise_id, notebook=notebook), what) for path, what in OBLIGATIONS]


def _title_case(exercise_id):
    return exercise_id.replace("_", " ").capitalize()


def files(exercise_id, number, title):
    """{path: text} of a new exercise's files."""
    part = f"{exercise_id}_weights"
    notebook = f"{number:02d}_{exercise_id}.ipynb"
    texts = {
        "autograder/catalog/{id}/__init__.py": f'''\
            """Exercise {number}: {title}. Its checks: public.py (students see them), hidden.py, mistakes.py."""
            from ...registry import Exercise

            EXERCISE = Exercise(
                id="{exercise_id}",
                number={number},
                title="{title}",
                parts=("{part}",),
            )
            ''',
        "autograder/catalog/{id}/public.py": f'''\
            """Checks for exercise {number}: {part} (10 points with hidden.py's). Made by `python -m autograder new`:
            an example to replace with the exercise's own."""
            import torch

            from ...checks import Check
            from ..common import between, fixture_check, has_shapes, randn
            from . import EXERCISE as DECLARED

            (PART,) = DECLARED.parts
            VALUES = "weights equal softmax(QKᵀ/√d)"


            def random_probes(generator):
                """Queries and keys of random sizes, batched and not."""
                probes = []
                for lead in ((), (between(generator, 1, 3),)):
                    n_q, n_k, d = between(generator, 1, 5), between(generator, 1, 6), between(generator, 1, 4)
                    query, key = randn(generator, *lead, n_q, d), randn(generator, *lead, n_k, d)
                    probes.append({{"target": PART, "args": [query, key],
                                   "label": f"query {{tuple(query.shape)}}, key {{tuple(key.shape)}}"}})
                return probes


            def weight_shapes(probe):
                query, key = probe["args"]
                return [(*query.shape[:-1], key.shape[-2])]


            def judge_distributions(probes, observed, expected):
                """Judge: every row of weights is a distribution over the keys."""
                for probe, got in zip(probes, observed):
                    sums = got["outputs"][0].sum(dim=-1)
                    if (got["outputs"][0] < 0).any() or not torch.allclose(sums, torch.ones_like(sums), atol=1e-6):
                        return f"{{probe['label']}}: a row of weights is not a distribution over the keys"
                return None


            CHECKS = [
                Check("{exercise_id}.shapes", PART, 2.0, "weights are (..., n_q, n_k)", random_probes,
                      has_shapes("weights", shapes=weight_shapes)),
                Check("{exercise_id}.distributions", PART, 2.0, "each query's weights are a distribution over the keys",
                      random_probes, judge_distributions),
                fixture_check("{exercise_id}.values_fixture", PART, random_probes, ("weights",), title=VALUES, points=3.0),
            ]
            ''',
        "autograder/catalog/{id}/hidden.py": f'''\
            """Hidden checks of {exercise_id}: fresh inputs, compared with the reference. Never shipped to students."""
            from ...instructor.hidden_checks import hidden_check
            from .public import PART, VALUES, random_probes

            CHECKS = [hidden_check("{exercise_id}.values_hidden", PART, random_probes, ("weights",), title=VALUES,
                                   points=3.0)]
            ''',
        "autograder/catalog/{id}/mistakes.py": f'''\
            """Known mistakes of exercise {number}, each an edit of solutions/{exercise_id}.py with the hint that names it.

            Instructors only: the edits quote the reference. Made by `python -m autograder new`: replace them with
            mistakes students make, each from where it was seen.
            """
            from ...instructor.known_mistakes import mistake, variant

            SCORES = "scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])"

            MISTAKES = [
                mistake("{exercise_id}_unscaled", "your scores look unscaled: divide QKᵀ by √d before the softmax",
                    (SCORES, "scores = query @ key.transpose(-2, -1)")),
            ]

            # Correct, less precise: the softmax taken in float32.
            VARIANTS = [
                variant("{exercise_id}_float32_softmax",
                    ("torch.softmax(scores, dim=-1)", "torch.softmax(scores, dim=-1, dtype=torch.float32).to(scores.dtype)")),
            ]
            ''',
        "solutions/{id}.py": f'''\
            """Exercise {number}: {title.lower()}."""
            import math

            import torch


            def {part}(query, key):
                """Attention weights of query (..., n_q, d) over key (..., n_k, d) -> (..., n_q, n_k), each row summing to 1."""
                ### BEGIN SOLUTION
                scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
                return torch.softmax(scores, dim=-1)
                ### END SOLUTION
            ''',
        "tests/students/{id}_alt.py": f'''\
            import torch


            def {part}(query, key):
                # scaled before the product, softmax by hand
                scores = (query * query.shape[-1] ** -0.5) @ key.transpose(-1, -2)
                exponentials = (scores - scores.amax(dim=-1, keepdim=True)).exp()
                return exponentials / exponentials.sum(dim=-1, keepdim=True)
            ''',
    }
    made = {ROOT / path.format(id=exercise_id): textwrap.dedent(text) for path, text in texts.items()}
    made[ROOT / "source" / "attention" / notebook] = _notebook(exercise_id, number, title, part)
    return made


def _notebook(exercise_id, number, title, part):
    import nbformat

    def locked(cell, grade_id, **nbgrader):
        cell.metadata.update({"deletable": False, "editable": False,
                              "nbgrader": {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3,
                                           "solution": False, **nbgrader}})
        return cell

    setup = locked(nbformat.v4.new_code_cell("import math\n\nimport torch"), "setup")
    setup.metadata["tags"] = ["setup"]
    answer = nbformat.v4.new_code_cell(f"def {part}(query, key):\n    ...")  # the build copies the reference in
    answer.metadata.update({"kit": {"defines": [part]},
                            "nbgrader": {"grade": False, "grade_id": part, "locked": False, "schema_version": 3,
                                         "solution": True}})
    test = locked(nbformat.v4.new_code_cell(
        f"# Checks for {part} (10 points). This cell is locked: run it after filling in the cell above.\n"
        f"from autograder.notebook import check\ncheck(\"{exercise_id}\", \"{part}\", globals())\n"
        f"### BEGIN HIDDEN TESTS\nfrom autograder.instructor.scoring import score\n"
        f"score(\"{exercise_id}\", \"{part}\", globals())\n### END HIDDEN TESTS"), f"test_{part}", grade=True, points=10)
    cells = [nbformat.v4.new_markdown_cell(f"# {number} · {title}\n\nWhat this exercise teaches, and why: write it here."),
             setup,
             nbformat.v4.new_markdown_cell(f"### Your turn: `{part}`\n\nThe weights of each query over the keys: "
                                           "softmax(QKᵀ/√d), one row per query."),
             answer, test]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update({"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                             "name": "python3"}})
    return nbformat.writes(notebook) + "\n"


def new(exercise_id, title=None):
    """Write a new exercise's files; returns their paths. Refuses an id that is not a Python name, one that exists,
    and any file that is already there."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", exercise_id):
        raise ValueError(f"{exercise_id!r} cannot be an exercise id: use lower-case letters, digits and _, "
                         "starting with a letter (it names a folder and a module)")
    if exercise_id in registry.ids():
        raise ValueError(f"there is an exercise {exercise_id} already")
    number = len(registry.ids()) + 1
    made = files(exercise_id, number, title or _title_case(exercise_id))
    present = [path for path in made if path.exists()]
    if present:
        raise ValueError("these files are there already; move them away first: "
                         + ", ".join(str(path.relative_to(ROOT)) for path in present))
    for path, text in made.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    registry.exercises.cache_clear()
    return list(made)


def main(exercise_id, title=None):
    try:
        written = new(exercise_id, title)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"next: `python -m autograder build {exercise_id}` makes its stub, release notebook, fixtures and "
          "precomputed answers; then replace the example in each file with the exercise's own")
    return 0
