"""What the exercises' hidden.py files share: a check of outputs on fresh inputs against the reference."""
from ..behaviour import outputs_differ
from ..catalog.common import matches_expected
from ..checks import Against, Check


def hidden_check(check_id, part, probes, output_names, *, title, points, ungraded=None, diagnose=None):
    """Outputs on freshly drawn inputs against the reference (instructors only, like every hidden check).
    check_id: written out whole where the check is declared ("<exercise>.<name>_hidden")."""
    if not check_id.endswith("_hidden"):
        raise ValueError(f"a hidden check's id ends in _hidden: {check_id}")
    return Check(check_id, part, points, f"{title}, on fresh inputs",
                 probes, matches_expected(*output_names, ungraded=ungraded), against=Against.REFERENCE,
                 diagnose=diagnose or outputs_differ(output_names))
