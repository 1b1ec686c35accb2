"""Do the instructor's settings in nbgrader_config.py reach the grader, and does `config` list them?"""
import json

from autograder import checks
from autograder.settings import KitSettings
from conftest import run_kit
from students import source

CONFIG = """c = get_config()
c.KitSettings.points = {"self_attention.head_printed": 3.0}
c.KitSettings.hidden_checks = ["self_attention.head_printed"]
c.KitSettings.probe_timeout = 1.5
c.KitSettings.jobs = 1
"""


def test_grade_and_config_read_the_course_config(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(CONFIG)
    (tmp_path / "self_attention.py").write_text(source("self_attention_alt").replace(
        "    def forward(self, x):\n", "    def forward(self, x):\n        while True:\n            pass\n"))
    listed = run_kit("config", cwd=tmp_path)
    assert "c.KitSettings.probe_timeout = 1.5  # default 5.0" in listed.stdout
    assert "c.KitSettings.points = {'self_attention.head_printed': 3.0}" in listed.stdout
    graded = run_kit("grade", "self_attention.py", "--json", "-", cwd=tmp_path)
    result = json.loads(graded.stdout)["results"][0]
    assert result["max_score"] == 12  # head_printed now worth 3
    printed = next(c for c in result["checks"] if c["id"] == "self_attention.head_printed")
    assert printed["max_points"] == 3 and printed["status"] == "timeout" and "after 1.5 s" in printed["message"]


def test_hidden_checks_leave_the_self_check_but_still_count():
    settings = KitSettings(hidden_checks=["self_attention.head_printed"])
    public = {check.id for check in checks.select("self_attention", public_only=True, settings=settings)}
    everything = {check.id for check in checks.select("self_attention", settings=settings)}
    assert "self_attention.head_printed" not in public and "self_attention.head_printed" in everything
