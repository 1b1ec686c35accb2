"""Hidden checks: fresh inputs against the reference. Instructors only; the student kit leaves this folder out."""
from ..catalog.common import matches_expected


def hidden_check(exercise, part, name, probes, output_names, *, title, points, ungraded=None):
    """Outputs on freshly drawn inputs against the reference."""
    from ..checks import Check

    return Check(f"{exercise}.{name}_hidden", part, points, f"{title}, on fresh inputs",
                 probes, matches_expected(*output_names, ungraded=ungraded), against="reference")
