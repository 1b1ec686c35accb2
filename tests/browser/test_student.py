"""A student in JupyterLab, in Chromium: do the release notebooks open clean, show failing checks with hints
for the stubs, pass every check once the reference's code is pasted in, and does nbgrader's Validate agree?"""
import nbformat
import pytest

from autograder import registry
from helpers import FIRST, ROOT, reference_answers, write_notebook
from lab_driver import (cell, close_dialog, error_outputs, expect_failing, expect_passing, images, open_notebook,
                        paste_into, prompt_number, read_check_cell, run_all, run_from, save, student_folder,
                        tab_is_dirty, validate)

pytestmark = pytest.mark.browser


def layout(exercise):
    """(answer cells, test cells) of the exercise's release notebook: {part: cell index} each, and the names
    each answer cell defines."""
    notebook = nbformat.read(ROOT / "release" / "attention" / exercise.notebook, as_version=4)
    answers, tests, defines = {}, {}, {}
    for index, each in enumerate(notebook.cells):
        meta = each.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = index
            defines[meta["grade_id"]] = each.metadata.get("kit", {}).get("defines", [meta["grade_id"]])
        elif meta.get("grade"):
            tests[meta["grade_id"].removeprefix("test_")] = index
    assert set(tests) == set(exercise.parts)
    return answers, tests, defines


def public_checks(exercise, part):
    """The names the check table shows for a part's public checks, in the registry's order."""
    return [check.id for check in registry.checks(exercise.id) if check.part == part and check.public]


def reference_cells(exercise):
    """{answer cell index: the reference's code for it}, as a student who got everything right writes it."""
    answers, _, defines = layout(exercise)
    reference = reference_answers(exercise.id)
    return {answers[grade_id]: "\n\n\n".join(reference[name] for name in names) for grade_id, names in defines.items()}


def became_dirty(page, within_ms):
    """Whether the open notebook's tab is, or within within_ms becomes, marked as changed."""
    from playwright.sync_api import TimeoutError

    try:
        page.wait_for_selector(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty", timeout=within_ms)
        return True
    except TimeoutError:
        return False


SETTLE_MS = 2000  # JupyterLab writes the kernel's language_info about a second after the kernel answers


def test_release_notebooks_open_unchanged(page, lab, course, exercise, screenshot):
    """Opened in JupyterLab and left alone until its kernel is idle and a while after, does each release notebook
    stay unmarked by unsaved changes?"""
    student_folder(course, "stubs")  # the next tests run these notebooks on from where this one leaves them
    open_notebook(page, lab, f"stubs/attention/{exercise.notebook}")
    dirty = became_dirty(page, SETTLE_MS)
    screenshot(f"opened-{exercise.notebook[:2]}")
    assert not dirty and not tab_is_dirty(page), f"{exercise.notebook} opens marked as changed"


def test_the_dirty_check_sees_what_jupyterlab_rewrites_on_opening(page, lab, course, screenshot):
    """Would the check above see a notebook that JupyterLab changes on opening: a release notebook with the bare
    language_info nbgrader used to copy from the source?"""
    folder = course / "bare" / "attention"
    folder.mkdir(parents=True)
    notebook = nbformat.read(ROOT / "release" / "attention" / FIRST.notebook, as_version=4)
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.write(notebook, folder / FIRST.notebook)
    open_notebook(page, lab, f"bare/attention/{FIRST.notebook}")
    assert became_dirty(page, SETTLE_MS)
    screenshot("opened-bare-language-info")


def test_stubs_fail_every_check_with_a_hint(page, lab, course, exercise, screenshot):
    """Run All on an untouched release notebook, then each later part's cells in turn: does every check cell show
    its table on the page, with all its public checks failing, a hint and the failure text under it?"""
    student_folder(course, "stubs")
    answers, tests, _ = layout(exercise)
    open_notebook(page, lab, f"stubs/attention/{exercise.notebook}", reuse=True)
    run_all(page)
    for number, part in enumerate(exercise.parts):
        if number:  # run on from this part's answer cell, as a student does after the first failing check
            run_from(page, answers[part])
        # Run All is meant to stop at the first error, but ipykernel aborts only what has reached it by then
        # (its stop_on_error_timeout is 0 s), so a later check cell may have run ahead with its part undefined:
        # read the check cell only once it has run after its own answer cell
        assert prompt_number(cell(page, tests[part])) > prompt_number(cell(page, answers[part])) > 0, part
        shown = read_check_cell(cell(page, tests[part]))
        expect_failing(shown, public_checks(exercise, part))
        assert "NotImplementedError" in shown.error
        screenshot(f"stubs-{exercise.notebook[:2]}-{part}", cell(page, tests[part]))


def test_the_reference_pasted_in_passes_every_check_and_draws_the_figures(page, lab, course, exercise, screenshot):
    """With the reference's code pasted into each answer cell through the editor, saved and run, does every check
    cell show all its checks passing with full points, no cell show an error, and every figure render?"""
    folder = student_folder(course, "answers")
    for other in registry.exercises():  # a later notebook imports an earlier one's class from its folder
        if other.id != exercise.id:
            write_notebook(folder, other.id, reference_answers(other.id))
    _, tests, _ = layout(exercise)
    typed = reference_cells(exercise)
    open_notebook(page, lab, f"answers/attention/{exercise.notebook}")
    for index, code in typed.items():
        paste_into(page, index, code)
    save(page)
    saved = nbformat.read(folder / exercise.notebook, as_version=4)
    assert {index: saved.cells[index].source.strip() for index in typed} == {i: c.strip() for i, c in typed.items()}
    run_all(page)
    for part in exercise.parts:
        expect_passing(read_check_cell(cell(page, tests[part])), public_checks(exercise, part))
        screenshot(f"answers-{exercise.notebook[:2]}-{part}", cell(page, tests[part]))
    assert error_outputs(page) == []
    figures = images(page)
    assert figures and all(width > 0 and height > 0 for width, height in figures), figures
    last = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output img").last
    screenshot(f"answers-{exercise.notebook[:2]}-figure", last)


def test_validate_fails_the_stubs_and_passes_the_reference(page, lab, course, screenshot):
    """Does nbgrader's Validate button say that the untouched notebook fails, naming the failing check cell and
    what to do, and that the notebook answered as the reference answers passes?"""
    folder = student_folder(course, "validate")
    open_notebook(page, lab, f"validate/attention/{FIRST.notebook}")
    verdict, dialog = validate(page)
    screenshot("validate-stubs", dialog)
    close_dialog(page)
    assert "Success" not in verdict and "failed" in verdict.lower()
    assert f"Checks for {FIRST.parts[0]}" in verdict and "replace `raise NotImplementedError()`" in verdict
    write_notebook(folder, FIRST.id, reference_answers(FIRST.id))
    open_notebook(page, lab, f"validate/attention/{FIRST.notebook}")
    verdict, dialog = validate(page)
    screenshot("validate-reference", dialog)
    close_dialog(page)
    assert "Success! Your notebook passes all the tests." in verdict
