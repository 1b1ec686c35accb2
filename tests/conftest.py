import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ["self_attention", "masked_self_attention", "cross_attention", "multi_head_attention"]


def run_kit(*args, cwd=ROOT, timeout=600):
    """python -m autograder ARGS, as a user runs it; returns the CompletedProcess."""
    environment = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=environment)


@pytest.fixture
def kit():
    return run_kit


@pytest.fixture(params=EXERCISES)
def exercise(request):
    return request.param
