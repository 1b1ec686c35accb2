"""Toy tasks on which a tiny attention model learns, in seconds on a CPU, a pattern worth plotting.

Random weights give near-uniform heatmaps; these models are trained, so their weights show what
attention is for. Everything is seeded: the same pictures every run.

Under `nbgrader validate` (NBGRADER_EXECUTION=validate) nothing is trained: validation runs every cell to see
that the notebook works, shows none of its pictures, and should not wait for them.
"""
import torch
import torch.nn.functional as F

from .plots import validating


def random_tokens(batch, length, vocabulary, generator):
    """A (batch, length) tensor of token ids drawn uniformly from range(vocabulary)."""
    return torch.randint(0, vocabulary, (batch, length), generator=generator)


def train(model, task, steps=500, batch=64, lr=1e-2, seed=0):
    """Fit `model` to `task` with Adam and cross-entropy; returns the accuracy on 512 fresh examples.

    `task(tokens)` turns a (batch, length) tensor of random token ids into (inputs, targets): the
    model is called as `model(*inputs)` and must return logits (..., vocabulary) matching the
    (...) targets.
    """
    if validating():
        # no training at all: making the optimiser imports torch's compiler stack (about a second), and a step
        # or two would show nothing anyway; the accuracy is not a number then
        print("nbgrader validate: the model is not trained here, so what follows shows untrained weights; "
              "Run All trains it")
        return float("nan")
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(seed)
    vocabulary, length = model.vocabulary, model.length
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        inputs, targets = task(random_tokens(batch, length, vocabulary, data))
        logits = model(*inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        inputs, targets = task(random_tokens(512, length, vocabulary, data))
        return (model(*inputs).argmax(dim=-1) == targets).double().mean().item()
