"""Do the counts the README and DESIGN.md state follow the kit as it is, so that adding an exercise or a known
mistake cannot leave them wrong?"""
import re

import pytest

from autograder import registry
from autograder.instructor import known_mistakes as mistakes
from helpers import ROOT

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


def number(text):
    return int(text) if text.isdigit() else WORDS.index(text.lower())


# (file, the sentence that states a count, what the count must be)
STATED = [
    ("README.md", r"The assignment has (\w+) notebooks", lambda: len(registry.ids())),
    ("README.md", r"runs the (\w+) known mistakes", lambda: len(mistakes.every())),
    ("DESIGN.md", r"(\w+) exercises, one assignment", lambda: len(registry.ids())),
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
