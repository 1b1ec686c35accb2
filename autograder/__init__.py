"""The attention kit's grading engine: checks, the submission loader, the sandbox and the command line."""
