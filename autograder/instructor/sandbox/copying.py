"""Handing a submission to a worker: the notebook or .py file and the few files beside it, copied without
following a link, within size limits."""
import errno
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
    try:
        info = os.lstat(source)
    except OSError as error:
        raise SubmissionRefused(f"{source.name} cannot be read ({error.strerror})") from None
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
        try:
            size = entry.stat(follow_symlinks=False).st_size
        except OSError:  # renamed or removed since the folder was listed
            problems.append(f"{entry.name} beside the submission was left out: it was renamed or removed meanwhile")
            continue
        if size > FILE_LIMIT or total + size > FOLDER_LIMIT or handed >= SIBLING_LIMIT:
            problems.append(f"{entry.name} beside the submission was left out: the files are too large or too many")
            continue
        try:
            # what is copied is checked again once open: the name may hold a pipe or a link by now
            size = copy_file(Path(entry.path), folder / entry.name, limit=min(FILE_LIMIT, FOLDER_LIMIT - total))
        except SubmissionRefused as refused:
            problems.append(f"{entry.name} beside the submission was left out: {refused}")
            continue
        total, handed = total + size, handed + 1
    return problems


def copy_file(source, target, limit=FILE_LIMIT):
    """Copy a regular file's bytes (at most limit) to target; returns how many. It is opened without following a
    link and without waiting (a named pipe swapped in meanwhile never blocks), and what was opened is copied only
    if it is a regular file; a file that vanishes, or is not one, is refused with the reason and leaves no target."""
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        why = "it was renamed or removed meanwhile" if error.errno == errno.ENOENT else error.strerror
        raise SubmissionRefused(f"{source.name} cannot be read ({why})") from None
    with os.fdopen(descriptor, "rb") as reader:
        # what is open now is what is copied, whatever the name holds since
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise SubmissionRefused(f"{source.name} is not a regular file")
        copied = 0
        try:
            with open(target, "wb") as writer:
                while chunk := reader.read(1 << 20):  # never more than limit, even of a file that grows meanwhile
                    copied += len(chunk)
                    if copied > limit:
                        raise SubmissionRefused(f"{source.name} is larger than {limit / 2**20:.0f} MiB")
                    writer.write(chunk)
        except (SubmissionRefused, OSError) as error:
            target.unlink(missing_ok=True)
            if isinstance(error, SubmissionRefused):
                raise
            raise SubmissionRefused(f"{source.name} could not be read to the end ({error.strerror})") from None
    os.chmod(target, 0o644)
    return copied
