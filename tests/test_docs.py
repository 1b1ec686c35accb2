"""Do the counts the README and DESIGN.md state follow the kit as it is, so that adding an exercise or a known
mistake cannot leave them wrong?"""
import ast
import fnmatch
import re
import subprocess

import pytest

from autograder import registry
from autograder.instructor import known_mistakes as mistakes
from autograder.sandboxed import loader
from helpers import ROOT

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


def number(text):
    return int(text) if text.isdigit() else WORDS.index(text.lower())


# (file, the sentence that states a count, what the count must be)
STATED = [
    ("README.md", r"The assignment has (\w+) notebooks", lambda: len(registry.ids())),
    ("README.md", r"runs the (\w+) known mistakes", lambda: len(mistakes.every())),
    ("DESIGN.md", r"(\w+) exercises, one assignment", lambda: len(registry.ids())),
    ("README.md", r"a notebook nested more than (\d+) deep", lambda: loader.NESTING_LIMIT),
]


@pytest.mark.parametrize("document, sentence, actual", STATED, ids=[f"{d}: {s}" for d, s, _ in STATED])
def test_a_stated_count_is_the_kits(document, sentence, actual):
    """Does the count a document states in this sentence equal what the kit has?"""
    found = re.search(sentence, (ROOT / document).read_text())
    assert found, f"{document} no longer says {sentence!r}: update this test with the sentence that gives the count"
    assert number(found[1]) == actual(), f"{document}: {found[0]!r}, but the kit has {actual()}"


def test_every_exercise_id_is_listed_in_the_design():
    """Does DESIGN.md's list of exercise ids hold every exercise, in course order?"""
    text = (ROOT / "DESIGN.md").read_text()
    listing = text.split("Exercise ids:", 1)[1].split("(", 1)[0]  # the ids, up to the remark after them
    assert re.findall(r"`(\w+)`", listing) == registry.ids()


# Files the prose names that are not the kit's: what a hostile submission plants, and examples of names
NOT_THE_KITS = {"torch.py", "sitecustomize.py", "x.py", "1_*.py"}
# A module named in prose: a file name ending in .py, with an optional folder path before it
MODULE = re.compile(r"(?<![\w./<>*-])((?:[\w.<>*-]+/)*[\w<>*-]+\.py)\b")


def named_modules(text):
    """The .py files a text names; a placeholder (`<id>`, `NN`, `X`) matches any name."""
    return {re.sub(r"<[^>]*>|\bX\b|\bNN\b", "*", name) for name in MODULE.findall(text)}


def prose():
    """(where, text) of README.md, DESIGN.md and every docstring of the kit's modules."""
    yield "README.md", (ROOT / "README.md").read_text()
    yield "DESIGN.md", (ROOT / "DESIGN.md").read_text()
    for path in sorted((ROOT / "autograder").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and ast.get_docstring(node):
                yield path.relative_to(ROOT).as_posix(), ast.get_docstring(node)


def test_every_module_the_docs_name_exists():
    """Does every .py file that the README, DESIGN.md or a docstring of the kit names exist in the repository
    (by its path's last parts), so that a renamed or removed module leaves no prose pointing at it?"""
    tracked = [line for line in subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                               check=True).stdout.splitlines()]
    missing = []
    for where, text in prose():
        for name in named_modules(text) - NOT_THE_KITS:
            if not any(fnmatch.fnmatch(path, name) or fnmatch.fnmatch(path, f"*/{name}") for path in tracked):
                missing.append(f"{where}: {name}")
    assert missing == []


def test_a_renamed_module_is_seen():
    """Would the check above see a module that is not there, and take a placeholder for any name?"""
    assert named_modules("see `instructor/stale_name.py` and catalog/<id>/public.py") == {"instructor/stale_name.py",
                                                                                         "catalog/*/public.py"}
