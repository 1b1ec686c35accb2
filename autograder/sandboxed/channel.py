"""The channel's own parts, which need no torch: line reading with limits, error kinds, the kit's failures.

The grader's side of the sandbox imports only this (and wire.py when it decodes), so workers can start
while the grader is still importing torch.
"""
import os
import select
import time
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


class Lines:
    """Lines from a pipe, each awaited with a deadline and capped in size: a str, or a Stop saying why not."""

    def __init__(self, fd, limit):
        self.fd, self.limit, self.buffer = fd, limit, bytearray()

    def next(self, timeout):
        deadline = time.monotonic() + timeout
        end = self.buffer.find(b"\n")
        while end < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return Stop("timeout")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return Stop("timeout")
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return Stop("eof")
            newline = chunk.find(b"\n")
            end = len(self.buffer) + newline if newline >= 0 else -1
            self.buffer += chunk
            if end < 0 and len(self.buffer) > self.limit:
                return Stop("too large")
        line = bytes(self.buffer[:end])
        del self.buffer[:end + 1]
        return line.decode(errors="replace")


class Stop:
    """Why no line came: "timeout", "eof" or "too large"."""

    def __init__(self, reason):
        self.reason = reason
