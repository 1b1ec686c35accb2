"""Modelled on Hugging Face transformers, src/transformers/models/gpt2/modeling_gpt2.py, class
GPT2Attention built with is_cross_attention=True (q_attn on the hidden states, c_attn on the
encoder's states), method _attn
(https://github.com/huggingface/transformers/blob/main/src/transformers/models/gpt2/modeling_gpt2.py).

Choices that differ from the kit's reference:
- the scale divides by `torch.full([], value.size(-1) ** 0.5, dtype=..., device=...)`, a 0-d tensor
  of the scores' dtype, sized by the values' width (equal to the keys' width here);
- the mask is additive: blocked keys get `torch.finfo(dtype).min` added, as Hugging Face's
  extended attention masks do, instead of a -inf fill;
- `nn.functional.softmax`, then `.type(value.dtype)`; `torch.matmul`; `key.transpose(-1, -2)`;
  a separate `_attn` method that returns output and weights; a `scale_attn_weights` flag.
Added to fit the kit's API:
- GPT-2's Conv1D layers c_attn (keys and values together) and q_attn become the kit's nn.Linear
  layers W_query, W_key, W_value, created in that order (the kit's seeded example depends on it);
- one head, so `_split_heads`/`_merge_heads` are left out; no c_proj and no dropout layers, which
  the kit's CrossAttention does not have;
- Hugging Face's masks are 1 where a key may be seen and become `(1 - mask) * finfo.min`; the
  kit's masks are True where blocked, so the additive mask is `mask * finfo.min`.
"""
import torch
from torch import nn

EXERCISE = "cross_attention"


class CrossAttention(nn.Module):
    def __init__(self, d_q, d_kv, d_out, qkv_bias=False):
        super().__init__()
        self.embed_dim = d_out
        self.split_size = self.embed_dim
        self.scale_attn_weights = True

        self.W_query = nn.Linear(d_q, self.embed_dim, bias=qkv_bias)
        self.W_key = nn.Linear(d_kv, self.embed_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_kv, self.embed_dim, bias=qkv_bias)

    def _attn(self, query, key, value, attention_mask=None):
        attn_weights = torch.matmul(query, key.transpose(-1, -2))

        if self.scale_attn_weights:
            attn_weights = attn_weights / torch.full(
                [], value.size(-1) ** 0.5, dtype=attn_weights.dtype, device=attn_weights.device
            )

        if attention_mask is not None:
            attn_weights = attn_weights + attention_mask

        attn_weights = nn.functional.softmax(attn_weights, dim=-1)

        attn_weights = attn_weights.type(value.dtype)

        attn_output = torch.matmul(attn_weights, value)

        return attn_output, attn_weights

    def forward(self, x_q, x_kv, mask=None):
        query = self.W_query(x_q)
        key, value = self.W_key(x_kv), self.W_value(x_kv)

        attention_mask = None
        if mask is not None:
            attention_mask = mask.to(query.dtype) * torch.finfo(query.dtype).min

        attn_output, attn_weights = self._attn(query, key, value, attention_mask)
        return attn_output
