import pytest

from helpers import EXERCISES, run_kit

pytest_plugins = ["pytester"]


@pytest.fixture
def kit():
    return run_kit


@pytest.fixture(params=EXERCISES)
def exercise(request):
    return request.param
