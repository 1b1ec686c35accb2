"""Find the submissions to grade under files and folders, and tell whose and which exercise each is."""
import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import registry
from .sandboxed.loader import SUBMISSION_SUFFIXES, SubmissionError


@dataclass(frozen=True)
class Target:
    """One submission to grade: a file, its exercise, and the student it belongs to (or None). shared: why the
    files beside it are not handed over with it ("" where they are: its folder is one student's)."""

    path: Path
    exercise: str
    student: str | None
    shared: str = ""


MARKERS = ("submitted", "autograded")


def student_of(path, root=None):
    """The student id in an nbgrader tree: the folder after `submitted` (or `autograded`).

    It is read from the path as found (links are never resolved), and only where the tree handed over (root)
    is nbgrader's: root lies in such a folder (the last marker in its own path), or holds one at its top
    (root/submitted/<student>/…). A marker further down is inside someone's own files: a student who names
    folders of theirs `submitted/<someone else>`, in a course or in a class folder of students' folders, is
    never graded as that someone.
    """
    path = Path(os.path.abspath(path))
    root = Path(os.path.abspath(root)) if root is not None else path.parent
    above, below = root.parts, path.parts[len(root.parts):] if path.is_relative_to(root) else ()
    marked = [index for index, part in enumerate(above) if part in MARKERS]
    if marked:
        chain = above[marked[-1] + 1:] + tuple(below)
    else:
        chain = below[1:] if below and below[0] in MARKERS else ()
    return chain[0] if len(chain) >= 2 else None  # a student's folder, then at least the file


WALK_LIMIT = 20000  # files and folders looked at per student: an upload of many thousands of files is cut short
WALK_DEPTH = 32  # folder levels looked into below the folder walked


def discover(paths, exercise=None, *, one_student=False):
    """Every submission under the given files and folders; a folder keeps only files named after an exercise.

    Returns (targets, skipped): skipped holds (path, why) for files passed over. Links are never
    followed, neither to files nor to folders. Students are read from nbgrader's layout (student_of); in a
    folder without it whose own folders each hold an exercise that another of them holds too, each of those
    folders is a student's (_students_by_folder). Under one folder, each student (or the folder itself,
    where it names no student) has one file per exercise graded, the first by _preference (the
    shallowest, then the name handed out, then a notebook before a .py file, then the path's sorted
    order); the others are passed over, so that no exercise counts twice.
    one_student: each folder is one student's upload (Gradescope's): its folders name no students
    (student is None), so each exercise is graded once in all of it, and a file passed over is named by
    its path in the upload.
    """
    if exercise is not None:
        known_exercise(exercise)
    targets, skipped = [], []
    given = [Path(path) for path in paths if Path(path).is_file() and not Path(path).is_symlink()]
    for path in map(Path, paths):
        if path.is_symlink() and not path.is_dir():
            skipped.append((path, "it is a link; links are never followed: submit the file itself"))
        elif path.is_dir():
            chosen = {}

            def shown(file, root=path):
                return file.relative_to(root).as_posix() if one_student else file.name

            files = _files_under(path, skipped)
            by_folder = not one_student and _students_by_folder(path, files, exercise)
            for file in files:
                try:
                    student = None if one_student else student_of(file, root=path)
                    if student is None and by_folder and len(file.relative_to(path).parts) > 1:
                        student = file.relative_to(path).parts[0]
                    target = Target(file, exercise or infer_exercise(file), student)
                except SubmissionError:
                    skipped.append((file, "its name names no exercise"))
                    continue
                key = (target.student, target.exercise)
                if key in chosen and _preference(chosen[key], path) <= _preference(target, path):
                    skipped.append((file, f"{shown(chosen[key].path)} is graded for {target.exercise} instead"))
                    continue
                if key in chosen:
                    skipped.append((chosen[key].path, f"{shown(file)} is graded for {target.exercise} instead"))
                chosen[key] = target
            found = sorted(chosen.values(), key=lambda target: target.path)
            targets += found if one_student else [_shared(target, found, exercise) for target in found]
        elif path.exists():
            targets.append(_shared(Target(path, exercise or infer_exercise(path), student_of(path)),
                                   [Target(file, exercise or _named(file), student_of(file)) for file in given], exercise))
        else:
            raise SubmissionError(f"{path} does not exist")
    return targets, skipped


def _shared(target, batch, exercise=None):
    """target, saying why the files beside it are not handed over with it where its folder holds another
    student's work: a graded file of another student, or another file that would be graded for the same
    exercise (where no student is known, that is someone else's, or the folder is ambiguous). Files beside a
    submission are what its student wrote besides (exercise 4's notebook imports notebook 2's head, a module its
    helpers), so in a folder that holds several students' files, each would read, or run, the others'."""
    folder = target.path.parent
    others = [other.path.name for other in batch if other.path != target.path and other.path.parent == folder
              and (other.student != target.student or other.student is None and other.exercise in ("", target.exercise))]
    if target.student is None:
        others += [file.name for file in _candidates(folder, target, exercise) if file.name not in others]
    if not others:
        return target
    shown = ", ".join(sorted(others)[:3]) + (", …" if len(others) > 3 else "")
    return Target(target.path, target.exercise, target.student,
                  f"the files beside {target.path.name} were not handed over with it: its folder holds other "
                  f"submissions too ({shown}); grade each student's files from a folder of their own")


def _named(path):
    """The exercise a file's name names, or "" where it names none."""
    try:
        return infer_exercise(path)
    except SubmissionError:
        return ""


def _candidates(folder, target, exercise=None):
    """The other notebooks and .py files in folder that would be graded for target's exercise: named after it,
    or, where the exercise is given (--exercise), named after none."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(SUBMISSION_SUFFIXES))
    except OSError:
        return []
    found = []
    for name in names:
        if name == target.path.name or name.startswith(("_", ".")):
            continue
        named = _named(name)
        if named == target.exercise or (exercise is not None and not named):
            found.append(folder / name)
    return found


def _students_by_folder(root, files, exercise=None):
    """Whether root's own folders are students' (a class handed over without nbgrader's `submitted/`): some
    exercise is held, outside any `submitted/` or `autograded/`, under two or more of them. One student's folder
    holds each exercise in one place, and is read as before: one file per exercise in all of it."""
    holders = {}
    for file in files:
        relative = file.relative_to(root).parts
        if len(relative) < 2 or student_of(file, root=root) is not None:
            continue
        try:
            holders.setdefault(exercise or infer_exercise(file), set()).add(relative[0])
        except SubmissionError:
            continue
    return any(len(folders) > 1 for folders in holders.values())


def _preference(target, root):
    """Lower is preferred: fewer folders below root, then the names the kit hands out (01_x.ipynb, x.py),
    then a notebook, then the name."""
    file = target.path
    handed_out = re.fullmatch(rf"(\d\d_)?{target.exercise}", file.stem) is not None
    return len(file.relative_to(root).parts), not handed_out, file.suffix != ".ipynb", str(file)


def _files_under(folder, skipped):
    """Notebooks and .py files under folder, in order, without following links or entering hidden folders.

    Each student's folder (the folder after `submitted/` or `autograded/`, wherever that is below folder;
    elsewhere each entry of folder) may hold WALK_LIMIT files: past that, the rest of it is passed over,
    and the other students' folders are still looked at, so one student's flood costs only that student.
    """
    found, seen, given_up = [], {}, set()
    rooted = any(part in MARKERS for part in Path(os.path.abspath(folder)).parts)
    for top, folders, files in os.walk(folder, followlinks=False):
        relative = Path(top).relative_to(folder).parts
        owner = _owner(relative, rooted)
        if owner in given_up:
            folders[:] = []
            continue
        folders[:] = sorted(name for name in folders if not name.startswith((".", "__pycache__")))
        if relative and len(relative) >= WALK_DEPTH:  # deeper than any submission; and os.walk recurses per level
            key = owner or relative[:1]
            skipped.append((folder.joinpath(*key), f"folders nested deeper than {WALK_DEPTH}; those were not looked at"))
            given_up.add(key)
            folders[:] = []
            continue
        if relative:  # a folder counts against its owner's allowance as a file does
            key = owner or relative[:1]
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > WALK_LIMIT:
                skipped.append((folder.joinpath(*key), f"more than {WALK_LIMIT} files; the rest were not looked at"))
                given_up.add(key)
                folders[:] = []
                continue
        for name in sorted(files):
            key = owner or (name,)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > WALK_LIMIT:
                skipped.append((folder.joinpath(*key), f"more than {WALK_LIMIT} files; the rest were not looked at"))
                given_up.add(key)
                folders[:] = []
                break
            file = Path(top) / name
            if file.suffix not in SUBMISSION_SUFFIXES or name.startswith(("_", ".")):
                continue
            if file.is_symlink():
                skipped.append((file, "it is a link; links are never followed: submit the file itself"))
            elif file.is_file():
                found.append(file)
    return found


def _owner(relative, rooted=False):
    """Whose files these are, as the leading parts of a path below the folder walked: where the folder walked
    holds `submitted`/`autograded` at its top, up to the student's folder after it; else the first part (where
    the folder walked is itself inside one, that is the student's folder); None at the top. As in student_of, a
    marker further down is someone's own folder: a student cannot open a new allowance by naming one."""
    if relative and relative[0] in MARKERS and not rooted:
        return tuple(relative[:2])
    return tuple(relative[:1]) or None


def infer_exercise(path):
    """The exercise id in a file name: NN_<id>.ipynb as released, or <id>.py as in exercises/."""
    stem = re.sub(r"^\d+_", "", Path(path).stem)
    if stem in registry.ids():
        return stem
    example = registry.exercises()[0]
    raise SubmissionError(
        f"cannot tell which exercise {Path(path).name} is: name it after one of "
        f"{', '.join(registry.ids())} (for example {example.notebook} or {example.id}.py), or pass --exercise")


def known_exercise(exercise):
    """exercise, when it is one the kit has; else a SubmissionError that lists them."""
    if exercise not in registry.ids():
        raise SubmissionError(f"unknown exercise {exercise!r}; choose one of {', '.join(registry.ids())}")
    return exercise
