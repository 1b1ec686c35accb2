"""What went wrong in a probe, as a kind of its own (ErrorKind), and the failures the kit itself reports.

Both sides read these: the sandboxed worker writes them, the grader's judge, report and hints read them. No torch.
"""
from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, in a field of its own: a student's exception may be called anything, even Timeout."""

    RAISED = "raised"  # student code raised; "type" names the exception's class
    STUB = "stub"  # NotImplementedError: a stub not filled in yet
    PROBE = "probe"  # the kit could not run this probe on the code (a name missing, a layer misshapen)
    TIMEOUT = "timeout"  # the code ran past its time
    CRASH = "crash"  # its process died, or answered outside the protocol
    REFUSED = "refused"  # the submission could not be handed to a worker (too large, unreadable)


def failure(kind, message):
    """An error report that is not an exception in student code (kind: TIMEOUT, CRASH or REFUSED)."""
    return {"kind": kind, "type": "", "message": message, "stage": "running the submission", "where": "", "code": "",
            "call": "", "unbound": ""}
