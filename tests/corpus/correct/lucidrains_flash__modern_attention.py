"""Modelled on Phil Wang's (lucidrains) memory-efficient-attention-pytorch, "just flash attention in plain
pytorch": the forward of FlashAttentionFunction, Algorithm 2 of the FlashAttention paper
(https://github.com/lucidrains/memory-efficient-attention-pytorch/blob/main/memory_efficient_attention_pytorch/flash_attention.py).

Choices that differ from the kit's reference:
- the output is kept normalised after every block (FlashAttention 1): each step rescales the old
  output by `row_sums / new_row_sums * exp(old max - new max)` and adds the block's
  `exp(block max - new max) / new_row_sums * exp_values`, in place (`mul_`, `add_`) on slices of one
  output tensor made up front; the block's own max is subtracted first, so each block carries its own
  sum, `clamp(min=1e-6)`;
- the masked scores are filled with `-finfo(dtype).max`, not -inf, and blocks after the diagonal are
  masked, not skipped; the causal mask of a block is `ones(...).triu(q_start - k_start + 1)`, aligned
  at the bottom right when there are more keys than queries (`qk_len_diff`); the kit's probes
  of the causal case have as many keys as queries, where both alignments agree;
- the scores are `einsum('... i d, ... j d -> ... i j', q, k) * d ** -0.5`; `split` makes the blocks.
Added to fit the kit's API:
- a function tiled_attention(query, key, value, causal, block_size) in place of the autograd Function's
  forward(ctx, q, k, v, mask, causal, q_bucket_size, k_bucket_size): block_size serves as both bucket
  sizes, the key padding mask is left out, and nothing is saved for the backward pass;
- the running sums and maxes get the inputs' dtype: the source makes them without one (float32), and
  `torch.full(..., -torch.finfo(torch.float64).max)` in float32 raises "value cannot be converted to type
  float without overflow", so the source cannot take float64 inputs at all, which the kit's checks give.
  (Kept in float32 with float32's fill, the running statistics pass every check: only the crash differs.)
"""
import torch
from torch import einsum

EXERCISE = "modern_attention"

EPSILON = 1e-6


@torch.no_grad()
def tiled_attention(query, key, value, causal=False, block_size=32):
    q, k, v = query, key, value
    q_bucket_size = k_bucket_size = block_size
    device = q.device
    max_neg_value = -torch.finfo(q.dtype).max
    qk_len_diff = max(k.shape[-2] - q.shape[-2], 0)

    o = torch.zeros((*q.shape[:-1], v.shape[-1]), dtype=q.dtype, device=device)
    all_row_sums = torch.zeros((*q.shape[:-1], 1), dtype=q.dtype, device=device)
    all_row_maxes = torch.full((*q.shape[:-1], 1), max_neg_value, dtype=q.dtype, device=device)

    scale = q.shape[-1] ** -0.5

    row_splits = zip(
        q.split(q_bucket_size, dim=-2),
        o.split(q_bucket_size, dim=-2),
        all_row_sums.split(q_bucket_size, dim=-2),
        all_row_maxes.split(q_bucket_size, dim=-2),
    )

    for ind, (qc, oc, row_sums, row_maxes) in enumerate(row_splits):
        q_start_index = ind * q_bucket_size - qk_len_diff

        col_splits = zip(
            k.split(k_bucket_size, dim=-2),
            v.split(k_bucket_size, dim=-2),
        )

        for k_ind, (kc, vc) in enumerate(col_splits):
            k_start_index = k_ind * k_bucket_size

            attn_weights = einsum('... i d, ... j d -> ... i j', qc, kc) * scale

            if causal and q_start_index < (k_start_index + k_bucket_size - 1):
                causal_mask = torch.ones((qc.shape[-2], kc.shape[-2]), dtype=torch.bool,
                                         device=device).triu(q_start_index - k_start_index + 1)
                attn_weights.masked_fill_(causal_mask, max_neg_value)

            block_row_maxes = attn_weights.amax(dim=-1, keepdims=True)
            attn_weights -= block_row_maxes
            exp_weights = torch.exp(attn_weights)

            block_row_sums = exp_weights.sum(dim=-1, keepdims=True).clamp(min=EPSILON)

            new_row_maxes = torch.maximum(block_row_maxes, row_maxes)

            exp_values = einsum('... i j, ... j d -> ... i d', exp_weights, vc)

            exp_row_max_diff = torch.exp(row_maxes - new_row_maxes)
            exp_block_row_max_diff = torch.exp(block_row_maxes - new_row_maxes)

            new_row_sums = exp_row_max_diff * row_sums + exp_block_row_max_diff * block_row_sums

            oc.mul_((row_sums / new_row_sums) * exp_row_max_diff).add_((exp_block_row_max_diff / new_row_sums) * exp_values)

            row_maxes.copy_(new_row_maxes)
            row_sums.copy_(new_row_sums)

    return o
