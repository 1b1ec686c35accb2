"""Reference implementations: the grading oracle. Never shipped to students."""
