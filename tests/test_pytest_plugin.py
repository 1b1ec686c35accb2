"""Does `pytest --attention` turn each public check into a pytest test, with the check's message on failure?"""
# In a subprocess: an in-process run restores sys.modules afterwards, and torch does not survive a second import.
import shutil

from conftest import ROOT
from students import source


def test_each_public_check_is_a_test(pytester):
    (pytester.path / "self_attention.py").write_text(source("self_attention_alt"))
    shutil.copy(ROOT / "release/attention/03_cross_attention.ipynb", pytester.path)
    result = pytester.runpytest_subprocess("--attention", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=7, failed=8)  # exercise 1 complete; exercise 3's eight public checks on stubs
    result.stdout.fnmatch_lines(["*03_cross_attention.ipynb::layers*", "*not implemented yet*"])


def test_a_failure_shows_the_message_and_hint_not_a_traceback(pytester):
    wrong = source("self_attention_alt").replace("query / math.sqrt(query.size(-1))", "query")
    (pytester.path / "self_attention.py").write_text(wrong)
    result = pytester.runpytest_subprocess("--attention", "self_attention.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["*failed: query (3, 6), key (3, 6), value (3, 7): * values of context differ*",
                                 "hint: your scores look unscaled*"])
    assert "Traceback" not in result.stdout.str()


def test_without_the_flag_nothing_changes(pytester):
    (pytester.path / "self_attention.py").write_text(source("self_attention_alt"))
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
