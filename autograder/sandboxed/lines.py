"""Lines from a pipe with a deadline each and a cap on their size: how the grader reads its workers. No torch,
so workers can start while the grader is still importing it.
"""
import os
import select
import time


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
