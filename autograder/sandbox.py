"""Run a submission's probes in a child process and bring back plain observations.

The child loads the submission, runs the probes and writes the observations
in the wire format (JSON, see wire.py); the grader decodes them into plain
tensors and judges them itself, so nothing the student's code does to torch,
to the checks or to itself can change a verdict. A child that crashes, exits
or runs past its time limit costs that submission's checks, with the reason.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from . import wire


def observe_in_child(path, exercise, probes, *, timeout=60.0):
    """(observations, problems) for the probes run on the submission at path."""
    with tempfile.TemporaryDirectory(prefix="attention-kit-") as workdir:
        request = Path(workdir) / "request.json"
        result = Path(workdir) / "result.json"
        request.write_text(json.dumps({"path": str(Path(path).resolve()), "exercise": exercise,
                                       "probes": wire.encode(probes), "result": str(result)}))
        # its own session, so that on the way out the whole group goes, grandchildren included
        child = subprocess.Popen([sys.executable, "-m", "autograder.child", str(request)], cwd=workdir,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env=_child_environment(), start_new_session=True)
        try:
            _, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return _all_failed(probes, "Timeout", f"the submission did not finish within {timeout:g} s"), []
        finally:
            _kill_group(child)
        if not result.exists():
            tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            reason = f"the submission's process ended with exit code {child.returncode} before reporting"
            return _all_failed(probes, "Crash", f"{reason}; last line on stderr: {tail[0][:200]}"), []
        response = json.loads(result.read_text())
    if "fatal" in response:
        return _all_failed(probes, "SubmissionError", response["fatal"]), [response["fatal"]]
    observations = wire.decode(response["observations"])
    if len(observations) != len(probes):
        return _all_failed(probes, "Crash", "the submission's process reported the wrong number of results"), []
    return observations, response["problems"]


def _kill_group(child):
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _child_environment():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NBGRADER")}
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    environment["OMP_NUM_THREADS"] = "1"
    return environment


def _all_failed(probes, kind, message):
    error = {"type": kind, "message": message, "stage": "running the submission", "where": "", "stub": False}
    return [{"error": error} for _ in probes]
