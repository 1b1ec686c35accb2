"""nbgrader's collect, copying only what students submitted as regular files (c.ExchangeFactory.collect).

nbgrader's ExchangeCollect copies each inbound entry with shutil.copytree, which follows links: a link in
a student's entry to the reference (`solutions/<exercise>.py`; the course layout is public) or to another
student's submission arrives in submitted/ as that file, and nothing after it can tell. CollectWithoutLinks
copies regular files and folders only, each opened relative to its folder's descriptor without following
a link, so a link swapped in while it copies is refused too. What it leaves out (links, anything else
that is not a regular file, files past the kit's or the course's size limits, a timestamp that is not a
time) is listed in LEFT_OUT beside the submission; the kit's nbgrader plugin shows that list in the
student's test cells, and nbgrader hands the file back with the feedback.

An inbound entry whose name holds no time, which stops nbgrader's collect for the whole class, is passed
over with a warning, and an entry too large to collect costs only its student. A student may rename, remove or
swap for a named pipe any file of their entry while it is collected: the entry is measured without following a link
or failing on a vanished file, each file is opened without waiting, and what changed is left out and listed, so
collect goes on to the students after them.

Who submitted: any user of the server may write into inbound/, and an entry's name says whose it is. nbgrader
warns when its owner is not that student and collects it all the same, so an entry made in another student's
name, later than theirs, would be graded in place of their work. Here an entry counts only when its owner is the
student it names or the user collecting (a course run by one account: every entry is theirs); any other is
passed over with a warning before the latest entry of each student is chosen. The course's folder in the exchange
must be the collecting user's (or root's): one another user made or put in its place is refused, since what
students fetched from it and submitted to it was theirs to read and write. c.ExchangeCollect.check_owner = False
(nbgrader's option, on by default) switches both off.
"""
import datetime
import errno
import os
import pwd
import stat
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc

from ..discovery import WALK_DEPTH
from ..report import printable
from .sandbox import SubmissionRefused, copy_file

LEFT_OUT = "left_out_at_collect.txt"  # beside the submission in submitted/: one line per file left out
LEFT_OUT_LIMIT = 64 * 1024  # bytes of that list read back
UNREADABLE = datetime.datetime.min  # the time of an inbound entry whose name holds none: never the latest


class CollectWithoutLinks(ExchangeCollect):
    """nbgrader's collect, copying regular files and folders only, never through a link (see the module)."""

    def _path_to_record(self, path):
        try:
            record = super()._path_to_record(path)
        except Exception:  # noqa: BLE001  (nbgrader's fail() or a time that does not parse)
            self.log.warning("Passing over %s: its name holds no student and time", path)
            return {"username": os.path.split(path)[1].split("+")[0], "filename": os.path.split(path)[1],
                    "timestamp": UNREADABLE}
        try:
            owner = _owner(path)
        except OSError:  # removed since inbound/ was listed
            self.log.warning("Passing over %s: it was removed while collect read it", path)
            return dict(record, timestamp=UNREADABLE)
        if self.check_owner and owner not in (record["username"], *_trusted()):
            self.log.warning("Passing over %s: it names %s as who submitted it, but %s made it", path,
                             record["username"], owner)
            return dict(record, timestamp=UNREADABLE)  # never the latest, and left out below
        return record

    def init_src(self):
        course = os.path.join(self.root, self.coursedir.course_id)
        owner = _owner(course) if self.check_owner and os.path.isdir(course) else None
        if owner is not None and owner not in _trusted():
            self.fail(f"{course} belongs to {owner}, not to you: another user made it or put it in the "
                      "course's place, and may have read or changed what students fetched and submitted. Make the "
                      "exchange's folder sticky (chmod 1777), remove that folder and release the assignment again")
        super().init_src()
        self.src_records = [record for record in self.src_records if record["timestamp"] != UNREADABLE]

    def copy_files(self):
        """nbgrader's copy_files, one entry at a time: an entry removed while it is collected (nbgrader stats it
        before do_copy) costs only its student."""
        records = self.src_records
        if not records:
            return super().copy_files()  # which says there is nothing to collect
        try:
            for record in records:
                self.src_records = [record]
                try:
                    super().copy_files()
                except OSError as error:
                    self.log.warning("Passing over %s: it changed while it was collected (%s)", record["filename"],
                                     error.strerror)
        finally:
            self.src_records = records

    def do_copy(self, src, dest, log=None):
        os.makedirs(dest)
        try:
            kind = os.lstat(src).st_mode
        except OSError:
            kind = None
        if kind is None:
            left_out = ["what was submitted was removed while it was collected; nothing was collected"]
        elif not stat.S_ISDIR(kind):
            left_out = ["what was submitted is a link or not a folder; links are never followed, so nothing was "
                        "collected"]
        elif regular_files_size(src) > 1000 * self.coursedir.max_dir_size:
            left_out = [f"the submission is larger than {self.coursedir.max_dir_size} kB, the course's limit "
                        "(CourseDirectory.max_dir_size); nothing was collected"]
        else:
            try:
                left_out = copy_regular_files(src, dest, self._left_out_by_course)
            except OSError as error:  # the entry itself renamed or removed meanwhile
                left_out = [f"the submission changed while it was collected ({error.strerror}); what was copied "
                            "before is kept"]
            left_out += _check_timestamp(Path(dest))
        for line in left_out:
            self.log.warning("%s: %s", src, line)
        if left_out:
            (Path(dest) / LEFT_OUT).write_text("".join(f"{line}\n" for line in left_out), encoding="utf-8")
        if self.coursedir.groupshared:  # as nbgrader's do_copy: the course's group may write what was collected
            for folder, _, files in os.walk(dest):
                os.chmod(folder, (os.stat(folder).st_mode | 0o2770) & 0o2777)
                for name in files:
                    os.chmod(os.path.join(folder, name), (os.stat(os.path.join(folder, name)).st_mode | 0o660) & 0o777)

    def _left_out_by_course(self, name, info):
        """(leave out, why) under the course's CourseDirectory.ignore, include and max_file_size, as nbgrader's
        collect applies them; why is None where nbgrader leaves a file out quietly."""
        if any(fnmatch(name, pattern) for pattern in self.coursedir.ignore):
            return True, None
        if stat.S_ISREG(info.st_mode):
            if self.coursedir.include and not any(fnmatch(name, pattern) for pattern in self.coursedir.include):
                return True, None
            if self.coursedir.max_file_size and info.st_size > 1000 * self.coursedir.max_file_size:
                return True, (f"is larger than {self.coursedir.max_file_size} kB, the course's limit "
                              "(CourseDirectory.max_file_size)")
        if name == LEFT_OUT:
            return True, "has the name of the kit's list of files left out at collect"
        return False, None


def copy_regular_files(source, target, left_out_by_course):
    """Copy the folder source into target (which exists): regular files and folders only, never following a
    link, not even one swapped in meanwhile (every entry is opened relative to its folder's descriptor, with
    O_NOFOLLOW). left_out_by_course(name, stat) -> (leave out, why). Returns what was left out, as lines."""
    left_out = []

    def copy_folder(folder, into, relative):
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries)
        for name in names:
            path = relative / name
            shown = printable(str(path), keep="")
            try:
                info = os.stat(name, dir_fd=folder, follow_symlinks=False)
            except OSError:
                left_out.append(f"{shown} was renamed or removed while it was collected; it was left out at collect")
                continue
            leave, why = left_out_by_course(name, info)
            if leave:
                if why:
                    left_out.append(f"{shown} {why}; it was left out at collect")
            elif stat.S_ISLNK(info.st_mode):
                left_out.append(f"{shown} is a link; links are never followed, so it was left out at collect: "
                                "submit the file itself")
            elif stat.S_ISDIR(info.st_mode) and len(path.parts) >= WALK_DEPTH:
                left_out.append(f"{shown}: folders nested deeper than {WALK_DEPTH} were left out at collect")
            elif stat.S_ISDIR(info.st_mode):
                try:
                    inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
                except OSError as error:
                    left_out.append(f"{shown} was renamed or removed while it was collected; it was left out at collect"
                                    if error.errno == errno.ENOENT else
                                    f"{shown} is a link; links are never followed, so it was left out at collect")
                    continue
                try:
                    os.mkdir(into / name)
                    copy_folder(inner, into / name, path)
                finally:
                    os.close(inner)
            elif stat.S_ISREG(info.st_mode):
                try:
                    # the descriptor's own folder, whatever its path has become since
                    copy_file(Path(f"/proc/self/fd/{folder}") / name, into / name)
                except SubmissionRefused as refused:
                    left_out.append(f"{shown} was left out at collect: {refused}")
            else:
                left_out.append(f"{shown} is not a regular file; it was left out at collect")

    top = os.open(source, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        copy_folder(top, Path(target), PurePosixPath())
    finally:
        os.close(top)
    return left_out


def regular_files_size(folder):
    """Bytes of the regular files under folder, as nbgrader's get_size counts them but never following a link and
    passing over what is renamed or removed while it is measured (a student may do either to their entry)."""
    total, folders = 0, [folder]
    while folders:  # not recursive: an entry may nest folders deeper than Python's recursion limit
        try:
            with os.scandir(folders.pop()) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                folders.append(entry.path)
            elif stat.S_ISREG(info.st_mode):
                total += info.st_size
    return total


def _owner(path):
    """Who owns path (the link itself, not what it points to)."""
    return _name(os.lstat(path).st_uid)


def _trusted():
    """Who may own any entry: the user collecting, and root."""
    return {_name(os.geteuid()), _name(0)}


def _name(uid):
    """A user's login name, or the uid where it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _check_timestamp(folder):
    """Leave out a timestamp.txt that holds no time: nbgrader's autograde and a later collect stop at one."""
    path = folder / "timestamp.txt"
    if not path.is_file():
        return []
    try:
        parse_utc(path.read_text(encoding="utf-8").strip())
        return []
    except Exception:  # noqa: BLE001  (dateutil raises several kinds)
        path.unlink()
        return ["timestamp.txt holds no time; it was left out at collect"]


def read_left_out(folder):
    """The lines of LEFT_OUT in a submitted folder (none where there is none), read without following a link."""
    try:
        descriptor = os.open(Path(folder) / LEFT_OUT, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return []
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return []
        text = handle.read(LEFT_OUT_LIMIT).decode("utf-8", errors="replace")
    return [printable(line.strip(), keep="") for line in text.splitlines() if line.strip()][:64]
