"""The attention-weights heatmap the notebooks draw, and the switch that skips their demos under Validate."""
import os

# nbgrader's Validate button runs every cell to see that the notebook works, and shows none of what the cells draw
# or print; a demo that only teaches (a figure, a timing, a model trained for its picture) is skipped there.
SKIPPED = "Validate skips {demo}: it runs when you run the notebook yourself"


def validating():
    """Whether nbgrader's Validate is running this notebook (it sets NBGRADER_EXECUTION=validate)."""
    return os.environ.get("NBGRADER_EXECUTION") == "validate"


def demo_runs(demo):
    """Whether to run a teaching demo: True, except under Validate, where it prints one line saying what it skips.

    A cell puts only what teaches under `if demo_runs(...)`: never an answer, and never anything a check needs.
    """
    if validating():
        print(SKIPPED.format(demo=demo))
        return False
    return True


def show_weights(weights, queries, keys, title="attention weights", ax=None, mask=None, numbers=True):
    """Heatmap of a (n_q, n_k) weight matrix, one row per query, with a colorbar.

    `mask` (bool, True = blocked, broadcastable to the weights) greys out and hatches the blocked
    cells, so a key that could not be seen is never mistaken for one that was seen and given
    (nearly) zero weight. `numbers` writes each visible cell's weight into it.

    Under `nbgrader validate` (NBGRADER_EXECUTION=validate) nothing is drawn: validation shows no
    picture, and drawing the first one (importing matplotlib, rendering) took about a second of it.
    """
    if validating():
        return ax
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    weights = weights.detach().cpu().double()
    shown_mask = torch.zeros((), dtype=torch.bool) if mask is None else torch.as_tensor(mask).detach().cpu().bool()
    blocked = shown_mask.broadcast_to(weights.shape)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 + 0.7 * len(keys), 0.9 + 0.55 * len(queries)))
    shown = np.ma.masked_array(weights.numpy(), mask=blocked.numpy())
    colours = plt.get_cmap("Blues").copy()
    colours.set_bad("#d9d9d9")  # blocked cells: grey, and hatched below
    image = ax.imshow(shown, cmap=colours, vmin=0.0, vmax=1.0)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="weight")
    for row, col in zip(*np.nonzero(blocked.numpy())):
        ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, hatch="///",
                                   edgecolor="#8c8c8c", linewidth=0))
    ax.set_xticks(range(len(keys)), keys, rotation=45, ha="right")
    ax.set_yticks(range(len(queries)), queries)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title + ("" if mask is None else "\n(hatched: masked)"))
    if numbers:
        for row in range(weights.shape[0]):
            for col in range(weights.shape[1]):
                if not blocked[row, col]:
                    value = weights[row, col].item()
                    ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=8,
                            color="white" if value > 0.6 else "black")
    return ax

