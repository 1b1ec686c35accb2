"""Do the instructor's settings in nbgrader_config.py reach the grader, does `config` list them, and is a
setting that names nothing refused with a message?"""
import csv
import json

from autograder import engine, fixture_reader, registry
from helpers import FIRST, named_mistake, run_kit, source

CLASS = FIRST.parts[-1]


def forward_check():
    """A public check of the first exercise's class whose probes call forward."""
    entries = fixture_reader.fixtures(FIRST.id)
    return next(check for check in engine.select(FIRST.id, public_only=True)
                if check.part == CLASS and not any(probe.get("inspect") for probe in entries[check.id]["probes"]))


def test_grade_and_config_read_the_course_config(tmp_path):
    """Do points, hidden_checks and probe_timeout set in the course's config change what `grade` reports,
    and does `config` show them beside their defaults?"""
    chosen = forward_check()
    (tmp_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.KitSettings.points = {{{chosen.id!r}: {chosen.points + 2:g}}}\n"
        f"c.KitSettings.hidden_checks = [{chosen.id!r}]\nc.KitSettings.probe_timeout = 1.5\nc.KitSettings.jobs = 1\n")
    (tmp_path / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt").replace(
        "    def forward(self, ", "    def forward(self, *_, **__):\n        while True:\n            pass\n\n    def unused(self, "))
    listed = run_kit("config", cwd=tmp_path)
    assert "c.KitSettings.probe_timeout = 1.5  # default 5.0" in listed.stdout
    assert f"c.KitSettings.points = {{{chosen.id!r}: {chosen.points + 2:.1f}}}" in listed.stdout
    graded = run_kit("grade", f"{FIRST.id}.py", "--json", "-", "--out", "out", cwd=tmp_path)
    result = json.loads(graded.stdout)["results"][0]
    assert result["max_score"] == 12  # worth 2 more; withheld from the self-check, it still counts here
    mine = next(c for c in result["checks"] if c["id"] == chosen.id)
    assert mine["max_points"] == chosen.points + 2 and mine["status"] == "timeout" and "after 1.5 s" in mine["message"]
    with open(tmp_path / "out" / "grades.csv") as table:  # the gradebook counts out of the course's points
        assert next(csv.DictReader(table))["max_total"] == str(10.0 * len(registry.ids()) + 2)


def test_the_hidden_seed_draws_other_hidden_inputs(tmp_path):
    """Does c.KitSettings.hidden_seed change the hidden checks' inputs (their messages), and nothing public?"""
    mistake, _ = named_mistake(FIRST.id)
    (tmp_path / f"{FIRST.id}.py").write_text(mistake.source())
    reports = {}
    for seed in (1, 2):
        (tmp_path / "nbgrader_config.py").write_text(f"c = get_config()\nc.KitSettings.hidden_seed = {seed}\n")
        graded = run_kit("grade", f"{FIRST.id}.py", "--json", "-", cwd=tmp_path)
        reports[seed] = {c["id"]: c["message"] for c in json.loads(graded.stdout)["results"][0]["checks"]}
    public = {check.id for check in engine.select(FIRST.id, public_only=True)}
    assert {key: reports[1][key] for key in public} == {key: reports[2][key] for key in public}
    assert any(reports[1][key] != reports[2][key] for key in reports[1] if key not in public)


def test_a_setting_that_names_no_check_is_refused(tmp_path):
    """Is a points entry for a check that does not exist, or a tolerance for an unknown dtype, an error that
    names it, rather than a setting quietly ignored?"""
    (tmp_path / f"{FIRST.id}.py").write_text(source(f"{FIRST.id}_alt"))
    for setting, named in (("c.KitSettings.points = {'no_such.check': 1.0}", "'no_such.check', which is no check"),
                           ("c.KitSettings.tolerances = {'float16': [1e-3, 1e-3]}", "'float16'"),
                           ("c.KitSettings.hidden_checks = [%r]" % next(
                               check.id for check in registry.checks(FIRST.id) if not check.public), "never see anyway")):
        (tmp_path / "nbgrader_config.py").write_text(f"c = get_config()\n{setting}\n")
        graded = run_kit("grade", f"{FIRST.id}.py", cwd=tmp_path)
        assert graded.returncode == 2 and "nbgrader_config.py" in graded.stderr and named in graded.stderr, graded.stderr
        assert "Traceback" not in graded.stderr
