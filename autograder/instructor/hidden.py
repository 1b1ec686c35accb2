"""What the exercises' hidden.py files share: a check of outputs on fresh inputs against the reference."""
from ..catalog.common import matches_expected
from ..checks import Against, Check


def hidden_check(exercise, part, name, probes, output_names, *, title, points, ungraded=None):
    """Outputs on freshly drawn inputs against the reference (instructors only, like every hidden check)."""
    return Check(f"{exercise}.{name}_hidden", part, points, f"{title}, on fresh inputs",
                 probes, matches_expected(*output_names, ungraded=ungraded), against=Against.REFERENCE)
