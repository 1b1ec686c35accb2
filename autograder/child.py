"""Entry point of the child process that runs student code (see sandbox.py)."""
import json
import sys
import warnings


def main(request_path):
    request = json.loads(open(request_path).read())
    result_path = request["result"]
    # student output and warnings are never graded
    warnings.simplefilter("ignore")
    from . import wire
    from .loader import SubmissionError, load
    from .probes import observe

    try:
        submission = load(request["path"], request["exercise"])
    except SubmissionError as error:
        response = {"fatal": str(error)}
    else:
        probes = wire.decode(request["probes"])
        observations = [observe(submission.namespace, probe) for probe in probes]
        response = {"observations": wire.encode(observations), "problems": submission.problems}
    with open(result_path, "w") as out:
        json.dump(response, out)
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
