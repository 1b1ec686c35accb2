"""Is the grader fair on code nobody on the project wrote? Implementations modelled on public sources
(tests/corpus/correct) get 10/10 as .py files and as notebooks and see no hint; bugs reported in public
trackers (tests/corpus/bugs) lose points, and the hint, when there is one, names the bug."""
import pytest

import corpus
from autograder import registry
from helpers import EXERCISES, answers_from, grade_file, reference_answers, write_notebook

CORRECT, BUGS = corpus.correct_entries(), corpus.bug_entries()
SEEDS = (7, 1729)  # a seed of the tests' own and the course's hidden seed


def graded(stem, form, folder, seed):
    """The entry submitted as a student would: every exercise side by side, as .py files or notebooks."""
    exercise = corpus.entry(stem)["exercise"]
    folder.mkdir(parents=True, exist_ok=True)
    if form == "py":
        return grade_file(corpus.write_submission(stem, folder), exercise, seed=seed)
    for other in EXERCISES:
        if other != exercise:
            write_notebook(folder, other, reference_answers(other))
    answers = answers_from(corpus.completed_source(stem), registry.get(exercise).parts)
    return grade_file(write_notebook(folder, exercise, answers), exercise, seed=seed)


def test_the_corpus_is_large_enough_and_every_bug_edits_a_correct_entry():
    """At least 12 public implementations and 12 reported bugs, each bug applying cleanly to its base?"""
    assert len(CORRECT) >= 12 and len(BUGS) >= 12
    for stem in BUGS:
        found = corpus.entry(stem)
        assert found["based_on"] in CORRECT and found["source"] != corpus.entry(found["based_on"])["source"]
        assert found["report"].count("#") >= 1 and "http" in found["report"], stem


@pytest.mark.parametrize("form", ["py", "notebook"])
@pytest.mark.parametrize("stem", CORRECT)
def test_a_correct_implementation_gets_full_marks_and_no_hint(tmp_path, stem, form):
    """Does each public implementation, adapted by renames only, earn 10/10 with every hint empty?"""
    for seed in SEEDS:
        report = graded(stem, form, tmp_path / str(seed), seed)
        assert [(c.id, c.message) for c in report.checks if c.status != "passed"] == []
        assert report.score == report.max_score == 10
        assert [c.hint for c in report.checks if c.hint] == []


@pytest.fixture(scope="module")
def bug_reports(tmp_path_factory):
    """{(stem, form): report} for every reported bug, graded once."""
    reports = {}
    for form in ("py", "notebook"):
        for stem in BUGS:
            reports[stem, form] = graded(stem, form, tmp_path_factory.mktemp(f"{stem}-{form}"), seed=SEEDS[1])
    return reports


@pytest.mark.parametrize("form", ["py", "notebook"])
def test_every_reported_bug_loses_points(bug_reports, form):
    """Does every bug from a public tracker cost points?"""
    unpunished = [stem for stem in BUGS if bug_reports[stem, form].score >= 10]
    assert unpunished == []


@pytest.mark.parametrize("form", ["py", "notebook"])
def test_most_reported_bugs_get_the_hint_that_names_them_and_none_gets_a_wrong_one(bug_reports, form):
    """Do at least 90% of the bugs see the hint of their mistake (or, where none is named, what their outputs'
    difference shows: behaviour.py, true by construction), and how many hints name a mistake the bug does not make?
    (None may.)"""
    named, described, wrong = [], [], []
    for stem in BUGS:
        own = corpus.entry(stem)["misconception"]
        checks = [check for check in bug_reports[stem, form].checks if check.hint]
        shown = {(check.id, check.misconception) for check in checks if check.misconception}
        if any(key == own for _, key in shown):
            named.append(stem)
        elif any(check.diagnosis and check.hint == check.diagnosis for check in checks):
            described.append(stem)
        wrong += [(stem, check_id, key) for check_id, key in shown if key not in (own, "signature")]
    print(f"{form}: {len(named)} of {len(BUGS)} bugs named, {len(described)} more described by their behaviour; "
          f"{len(wrong)} hints naming a mistake the bug does not make")
    assert wrong == []
    assert len(named) + len(described) >= 0.9 * len(BUGS), sorted(set(BUGS) - set(named) - set(described))
