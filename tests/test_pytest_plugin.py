"""Does `pytest --attention` turn each public check into a pytest test, with the check's message on failure?"""
# In a subprocess: an in-process run restores sys.modules afterwards, and torch does not survive a second import.
import shutil

from autograder import engine, registry
from helpers import FIRST, ROOT, named_mistake, source

LAST = registry.exercises()[-1]


def test_each_public_check_is_a_test(pytester):
    """Is every public check of a file and of a notebook a test of its own, passing or failing as the check does?"""
    (pytester.path / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    shutil.copy(ROOT / "release/attention" / LAST.notebook, pytester.path)
    result = pytester.runpytest_subprocess("--attention", "-p", "no:cacheprovider")
    first, last = (engine.select(exercise.id, public_only=True) for exercise in (FIRST, LAST))
    result.assert_outcomes(passed=len(first), failed=len(last))  # the first complete; the last's stubs fail
    name = last[0].id.split(".", 1)[1]
    result.stdout.fnmatch_lines([f"*{LAST.notebook}::{name}*", "*not implemented yet*"])


def test_a_failure_shows_the_message_and_hint_not_a_traceback(pytester):
    """Does a failed check show its message and its hint, and no traceback of the kit?"""
    mistake, report = named_mistake(FIRST.id, public=True)
    (pytester.path / f"{FIRST.id}.py").write_text(mistake.source())
    result = pytester.runpytest_subprocess("--attention", f"{FIRST.id}.py", "-p", "no:cacheprovider")
    public = {check.id for check in engine.select(FIRST.id, public_only=True)}
    failed = [check for check in report.checks if check.id in public and check.status != "passed"]
    result.assert_outcomes(passed=len(public) - len(failed), failed=len(failed))
    named = next(check for check in failed if check.misconception == mistake.id)
    result.stdout.fnmatch_lines([f"*{named.status}: {named.message[:30]}*", f"hint: {mistake.hint[:30]}*"])
    assert "Traceback" not in result.stdout.str()


def test_without_the_flag_nothing_changes(pytester):
    """Without --attention, does pytest collect the folder's own tests and no exercise file?"""
    (pytester.path / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_failures_header_names_the_notebook(pytester):
    """Does each failure's header line name the notebook it comes from, beside the check?"""
    shutil.copy(ROOT / "release/attention" / LAST.notebook, pytester.path)
    result = pytester.runpytest_subprocess("--attention", "-p", "no:cacheprovider")
    headers = [line for line in result.stdout.lines if line.startswith("_") and line.endswith("_")]
    public = engine.select(LAST.id, public_only=True)
    assert len(headers) == len(public)
    for check in public:
        assert any(f" {LAST.notebook} · {check.id.split('.', 1)[1]}: " in line for line in headers), check.id
