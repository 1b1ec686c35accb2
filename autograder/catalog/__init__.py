"""One folder per exercise (see registry.py); common.py holds what their checks share."""
