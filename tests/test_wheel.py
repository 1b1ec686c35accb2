"""Installed from a wheel, with no checkout beside it, does the kit carry every package and fixture and grade
the sample class as the checkout does?"""
import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder import registry
from helpers import ROOT, run_kit

pytestmark = pytest.mark.slow


def scores(completed):
    assert completed.returncode == 0, completed.stderr[-3000:]
    return {(result["student"], result["exercise"]): result["score"] for result in json.loads(completed.stdout)["results"]}


def test_a_wheel_grades_the_sample_class_as_the_checkout_does(tmp_path):
    """Does a wheel built from the repository hold the catalog, the sandboxed folder and the fixtures, and give
    every sample student the score `make run` gives?"""
    source = tmp_path / "source"  # setuptools builds in the source's folder: a copy, so the checkout stays as it was
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__",
                                                                "out", "gradebook.db"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "--wheel-dir", str(tmp_path / "dist"), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("autograder/registry.py", "autograder/sandboxed/worker.py", "autograder/instructor/grading.py",
                   *(f"autograder/instructor/solutions/{exercise}.py" for exercise in registry.ids())):
        assert needed in names, needed
    # nothing at site-packages' top level but the kit's package (and the wheel's own record)
    assert {name.split("/")[0] for name in names if ".dist-info/" not in name} == {"autograder"}
    assert any(name.startswith("autograder/catalog/") and name.endswith("/hidden.py") for name in names)
    assert any(name.startswith("autograder/fixtures/") and name.endswith(".json") for name in names)

    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site),
                                str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    stale = site / "solutions"  # what an older kit installed at the top level: never the reference of this one
    stale.mkdir()
    (stale / "__init__.py").write_text("raise ImportError('a stale reference was imported')\n")
    elsewhere = tmp_path / "elsewhere"  # no checkout here: `python -m autograder` must come from the wheel
    shutil.copytree(ROOT / "samples" / "submitted", elsewhere / "submitted")
    environment = {"PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import autograder, autograder.instructor.solutions as reference; "
                            "print(autograder.__file__, reference.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, env=dict(os.environ, **environment))
    assert where.stdout.split() and all(path.startswith(str(site / "autograder")) for path in where.stdout.split()), \
        where.stdout + where.stderr
    from_wheel = run_kit("grade", "submitted", "--json", "-", "--jobs", "2", cwd=elsewhere, env=environment)
    from_checkout = run_kit("grade", ROOT / "samples" / "submitted", "--json", "-", "--jobs", "2")
    assert scores(from_wheel) == scores(from_checkout) and len(scores(from_wheel)) >= 3


def test_the_gradescope_zip_installs_as_its_setup_script_installs_it(tmp_path):
    """Does the source in the Gradescope zip (which holds the reference inside the kit, not in solutions/) build
    a package with the reference where the grader imports it, and nothing else at the top level?"""
    completed = run_kit("gradescope", "build", "--out", tmp_path / "autograder.zip")
    assert completed.returncode == 0, completed.stderr
    source = tmp_path / "source"
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        archive.extractall(source)
    assert not (source / "solutions").exists() and (source / "setup.py").exists()
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "--wheel-dir", str(tmp_path / "dist"), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    names = set(zipfile.ZipFile(next((tmp_path / "dist").glob("*.whl"))).namelist())
    assert {f"autograder/instructor/solutions/{exercise}.py" for exercise in registry.ids()} <= names
    assert {name.split("/")[0] for name in names if ".dist-info/" not in name} == {"autograder"}


def test_the_package_declares_what_requirements_pin():
    """Does pyproject.toml declare every package the kit imports, pinned exactly as requirements.txt pins it, so
    that an installed kit does not fail on `import torch` nor fetch a build the kit was not tested with?"""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [item for extra in project["optional-dependencies"].values() for item in extra]
    pinned = {line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    assert sorted(declared) == sorted(pinned)
    assert all("==" in requirement for requirement in declared)
    names = {requirement.split("==")[0].lower().replace("-", "_") for requirement in project["dependencies"]}
    stdlib = set(sys.stdlib_module_names)
    imported = set()
    for path in (ROOT / "autograder").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    # packages that come with a declared one: jinja2 with nbconvert, IPython with ipykernel; pytest for its plugin
    carried = {"jinja2", "IPython", "pytest", "autograder"}
    assert imported - stdlib - carried <= names, sorted(imported - stdlib - carried - names)
