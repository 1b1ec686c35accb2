"""The attention-weights heatmap the notebooks draw."""


def show_weights(weights, queries, keys, title="attention weights", ax=None):
    """Heatmap of a (n_q, n_k) weight matrix, one row per query, each cell labelled with its weight."""
    import matplotlib.pyplot as plt

    weights = weights.detach().cpu().float()
    if ax is None:
        _, ax = plt.subplots(figsize=(1 + 0.75 * len(keys), 0.8 + 0.6 * len(queries)))
    ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(keys)), keys, rotation=45, ha="right")
    ax.set_yticks(range(len(queries)), queries)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    ax.set_title(title)
    for (row, col), value in ((index, weights[index].item()) for index in _cells(weights.shape)):
        ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=8,
                color="white" if value > 0.6 else "black")
    return ax


def _cells(shape):
    return ((row, col) for row in range(shape[0]) for col in range(shape[1]))
