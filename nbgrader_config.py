"""nbgrader settings for this course: the repository itself is the course directory."""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

# The build runs nbgrader on a temporary copy of the course; everywhere else the course is this folder.
c.CourseDirectory.root = os.environ.get("NBGRADER_COURSE_ROOT", os.path.dirname(os.path.abspath(__file__)))
c.CourseDirectory.course_id = "attention"

# A local exchange for `nbgrader release_assignment` / `collect` on one machine.
c.Exchange.root = os.path.join(c.CourseDirectory.root, "exchange")

# The same stub the build writes into exercises/*.py.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Importing torch in a fresh kernel takes a few seconds on a busy machine.
c.Execute.timeout = 120
