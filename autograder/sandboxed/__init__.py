"""What runs beside student code: the worker, the loader, the probes and the wire format.

The grader copies this folder whole into the sandbox, so nothing in it may import anything
outside it (only the standard library and torch), and nothing in it may know the reference.
"""
