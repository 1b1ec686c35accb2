"""A failing check you can see: the submission's weights (or outputs) beside the expected ones and their
difference, as small heatmaps, and the same rows as text for a terminal.

Only public checks on the published inputs get one (engine: Check.shown, compared with a fixture): the student's
self-check and the graded feedback show the same inputs the student already has, never a hidden check's.
A failing check's evidence is the first probe whose outputs differ: the output it shows (the weights where the
check compares them), taken at its first batch element, with the blocked cells of the probe's mask hatched.
"""
import base64
import html
import io

import torch

from .compare import close

ROWS_SHOWN = 3  # rows that differ printed in a terminal
VALUES_SHOWN = 6  # values of each


def evidence(probes, observed, expected, names):
    """{"label", "name", "got", "want", "mask"} of the first probe whose shown output differs, as 2-d tensors
    (the first element of every leading axis), or None."""
    preferred = ["weights"] + [name for name in names if name != "weights"]
    for probe, got, want in zip(probes, observed, expected or []):
        outputs, wanted = got.get("outputs", []), want.get("outputs", [])
        for name in preferred:
            if name not in names or names.index(name) >= min(len(outputs), len(wanted)):
                continue
            a, b = outputs[names.index(name)], wanted[names.index(name)]
            if not torch.is_tensor(a) or a.shape != b.shape or a.dim() < 2 or not a.is_floating_point():
                continue
            if (close(a, b) | (a.isnan() & b.isnan())).all():
                continue
            mask = (probe.get("kwargs") or {}).get("mask")
            shown_mask = None
            if torch.is_tensor(mask) and mask.dtype == torch.bool and mask.dim() >= 2 and name == "weights":
                try:
                    shown_mask = mask.broadcast_to(a.shape).reshape(-1, *a.shape[-2:])[0]
                except RuntimeError:
                    shown_mask = None
            first = (lambda t: t.detach().double().reshape(-1, *t.shape[-2:])[0])
            return {"label": probe.get("label", ""), "name": name, "got": first(a), "want": first(b), "mask": shown_mask,
                    "batched": a.dim() > 2}
    return None


def excerpt(found):
    """Lines for a terminal: the rows that differ, yours beside the expected ones."""
    got, want = found["got"], found["want"]
    differ = ~(close(got, want) | (got.isnan() & want.isnan()))
    rows = differ.any(dim=-1).nonzero().flatten().tolist()
    where = " at the first batch element" if found.get("batched") else ""
    lines = [f"{found['name']}{where} on {found['label']}, rows that differ (yours | expected):"]
    for row in rows[:ROWS_SHOWN]:
        def values(tensor):
            shown = " ".join(f"{value:6.3f}" for value in tensor[row, :VALUES_SHOWN].tolist())
            return shown + (" …" if tensor.shape[-1] > VALUES_SHOWN else "")
        lines.append(f"  row {row}: {values(got)} | {values(want)}")
    if len(rows) > ROWS_SHOWN:
        lines.append(f"  … and {len(rows) - ROWS_SHOWN} more of {got.shape[0]} rows")
    return lines


def png(found, hint=""):
    """The three heatmaps (yours, expected, difference) as PNG bytes, the hint under them."""
    import matplotlib

    matplotlib.use("Agg", force=False)  # a kernel keeps its own backend; elsewhere nothing is shown on screen
    from matplotlib.figure import Figure
    import numpy as np

    got, want = found["got"].numpy(), found["want"].numpy()
    rows, cols = got.shape
    weights = found["name"] == "weights"
    figure = Figure(figsize=(min(3 * 2.4, 1.2 + 3 * (0.45 * cols + 0.9)), 1.1 + 0.38 * rows + (0.3 if hint else 0)),
                    dpi=90, layout="constrained")
    axes = figure.subplots(1, 3)
    spread = float(np.nanmax(np.abs(np.concatenate([got.ravel(), want.ravel()])))) or 1.0
    difference = got - want
    gap = float(np.nanmax(np.abs(difference))) if np.isfinite(difference).any() else 1.0
    panels = [("yours", got, "Blues" if weights else "RdBu_r", (0, 1) if weights else (-spread, spread)),
              ("expected", want, "Blues" if weights else "RdBu_r", (0, 1) if weights else (-spread, spread)),
              ("yours − expected", difference, "PuOr_r", (-(gap or 1.0), gap or 1.0))]
    blocked = [] if found["mask"] is None else list(zip(*np.nonzero(found["mask"].numpy())))
    for axis, (title, values, colours, (low, high)) in zip(axes, panels):
        image = axis.imshow(np.ma.masked_invalid(values), cmap=colours, vmin=low, vmax=high)
        for row, col in blocked:  # the cells the mask blocks, hatched as the notebooks' heatmaps hatch them
            axis.add_patch(matplotlib.patches.Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, hatch="///",
                                                            edgecolor="#8c8c8c", linewidth=0))
        axis.set_title(title, fontsize=9)
        axis.set_xlabel("key" if weights else "feature", fontsize=8)
        axis.set_ylabel("query", fontsize=8)
        axis.set_xticks(range(0, cols, max(1, cols // 8)))
        axis.set_yticks(range(0, rows, max(1, rows // 8)))
        axis.tick_params(labelsize=7)
        figure.colorbar(image, ax=axis, shrink=0.8)
    if hint:
        figure.supxlabel(hint if len(hint) < 140 else hint[:137] + "…", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def img_tag(found, hint=""):
    """An <img> of png(), inline: a notebook, a feedback page and the formgrader show it without a file beside."""
    alt = f"{found['name']}: yours, expected and their difference on {found['label']}"
    data = base64.b64encode(png(found, hint)).decode()
    return f"<img alt='{html.escape(alt, quote=True)}' src='data:image/png;base64,{data}'>"
