"""Handing a submission to a worker: the notebook or .py file and the few files beside it, copied without
following a link, within size limits."""
import os
import stat
from pathlib import Path

from ...sandboxed.loader import SUBMISSION_SUFFIXES


FILE_LIMIT = 20 * 1024 * 1024  # bytes of one notebook or .py file handed to a worker
FOLDER_LIMIT = 40 * 1024 * 1024  # bytes of a submission and the files beside it
SIBLING_LIMIT = 64  # files beside a submission that are handed over with it


class SubmissionRefused(Exception):
    """The submission's files cannot be handed over as they are; the message says why and what to do."""


def copy_submission(path, folder, siblings=True):
    """Copy the submission and (where siblings) the notebooks or .py files beside it (exercise 4 imports exercise
    2's head) into folder, never following a link; returns problems with the files beside it, as messages."""
    source = Path(path)
    info = os.lstat(source)
    if stat.S_ISLNK(info.st_mode):
        raise SubmissionRefused(f"{source.name} is a link; links are never followed: submit the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise SubmissionRefused(f"{source.name} is not a regular file")
    if info.st_size > FILE_LIMIT:
        raise SubmissionRefused(f"{source.name} is {info.st_size / 2**20:.0f} MiB; a submission is far smaller "
                                "than 20 MiB: clear large outputs (Kernel > Restart and Clear Outputs) and submit again")
    copy_file(source, folder / source.name)
    return copy_siblings(source.parent, source.name, folder, info.st_size) if siblings else []


def copy_siblings(directory, name, folder, total=0):
    """Copy the notebooks and .py files in directory, but name, into folder: regular files only, within
    FILE_LIMIT each, FOLDER_LIMIT together (counting total already copied) and SIBLING_LIMIT in number.
    Returns what was left out, as messages."""
    problems, handed = [], 0
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        entries = []
    for entry in entries:
        if entry.name == name or not entry.name.endswith(SUBMISSION_SUFFIXES) or entry.name.startswith("."):
            continue
        if entry.is_symlink():
            problems.append(f"{entry.name} beside the submission is a link and was left out: links are never followed")
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        size = entry.stat(follow_symlinks=False).st_size
        if size > FILE_LIMIT or total + size > FOLDER_LIMIT or handed >= SIBLING_LIMIT:
            problems.append(f"{entry.name} beside the submission was left out: the files are too large or too many")
            continue
        try:
            copy_file(Path(entry.path), folder / entry.name)
        except SubmissionRefused as refused:
            problems.append(f"{entry.name} beside the submission was left out: {refused}")
            continue
        total, handed = total + size, handed + 1
    return problems


def copy_file(source, target):
    """A regular file's bytes, opened without following a link (a link swapped in meanwhile is refused)."""
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise SubmissionRefused(f"{source.name} cannot be read ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as reader, open(target, "wb") as writer:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
            raise SubmissionRefused(f"{source.name} is not a regular file")
        copied = 0
        while chunk := reader.read(1 << 20):  # never more than FILE_LIMIT, even of a file that grows meanwhile
            copied += len(chunk)
            if copied > FILE_LIMIT:
                writer.close()
                os.unlink(target)
                raise SubmissionRefused(f"{source.name} is larger than {FILE_LIMIT // 2**20} MiB")
            writer.write(chunk)
    os.chmod(target, 0o644)
