"""Modelled on Hugging Face transformers, src/transformers/models/gpt2/modeling_gpt2.py, class
GPT2Attention (self-attention path: _split_heads, _attn, _merge_heads)
(https://github.com/huggingface/transformers/blob/main/src/transformers/models/gpt2/modeling_gpt2.py).

Choices that differ from the kit's reference:
- the causal buffer is bool `torch.tril(torch.ones(n, n, dtype=torch.bool)).view(1, 1, n, n)`
  (True where a key may be seen), sliced `[:, :, k_len - q_len : k_len, :k_len]`;
- blocked scores are replaced with `torch.where(causal_mask, scores, mask_value)`, where
  mask_value is `torch.finfo(dtype).min` held in a 0-d tensor, not -inf;
- the scale divides by `torch.full([], value.size(-1) ** 0.5, dtype=..., device=...)` (the
  values' head width, equal to the keys');
- weights cast back with `.type(value.dtype)`; heads split with view + `permute(0, 2, 1, 3)` and
  merged with `permute(0, 2, 1, 3).contiguous()` + view; helper methods _split_heads, _attn, _merge_heads;
- a second buffer `masked_bias` (-1e4, unused), attributes embed_dim, split_size, scale_attn_weights;
- a residual dropout (same rate) after the output projection.
Added to fit the kit's API:
- forward takes the kit's unbatched input (run as a batch of one) and optional padding_mask (True at
  padding, blocked as a key for every head), which the source lacks; the padding is folded into the causal keep-mask, and the finfo.min fill leaves a fully blocked row finite.
- the kit's class name and signature instead of a config; GPT-2's Conv1D c_attn (q, k, v together,
  then `.split`) becomes the nn.Linear layers W_query, W_key, W_value, and Conv1D c_proj becomes
  nn.Linear out_proj (Conv1D stores its weight transposed; the parameter count is the same);
- the buffer `bias` is renamed `mask`; attn_dropout is renamed dropout (resid_dropout kept);
- key/value caching, head pruning, head_mask, attention_mask and cross-attention are left out;
- ValueError when n > context_length.
"""
import torch
from torch import nn

EXERCISE = "multi_head_attention"


class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()

        max_positions = context_length
        self.register_buffer(
            "mask",
            torch.tril(torch.ones((max_positions, max_positions), dtype=torch.bool)).view(
                1, 1, max_positions, max_positions
            ),
        )
        self.register_buffer("masked_bias", torch.tensor(-1e4))

        self.embed_dim = d_out
        self.num_heads = num_heads
        self.head_dim = self.embed_dim // self.num_heads
        self.split_size = self.embed_dim
        if self.head_dim * self.num_heads != self.embed_dim:
            raise ValueError(
                f"embed_dim {self.embed_dim} is not a multiple of num_heads {self.num_heads}"
            )

        self.scale_attn_weights = True

        self.W_query = nn.Linear(d_in, self.embed_dim, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, self.embed_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, self.embed_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(self.embed_dim, self.embed_dim)

        self.dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)

    def _attn(self, query, key, value, padding_mask=None):
        attn_weights = torch.matmul(query, key.transpose(-1, -2))

        if self.scale_attn_weights:
            attn_weights = attn_weights / torch.full(
                [], value.size(-1) ** 0.5, dtype=attn_weights.dtype, device=attn_weights.device
            )

        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.mask[:, :, key_length - query_length : key_length, :key_length]
        if padding_mask is not None:
            causal_mask = causal_mask & ~padding_mask[:, None, None, :]
        mask_value = torch.finfo(attn_weights.dtype).min
        mask_value = torch.full([], mask_value, dtype=attn_weights.dtype).to(attn_weights.device)
        attn_weights = torch.where(causal_mask, attn_weights.to(attn_weights.dtype), mask_value)

        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        attn_weights = attn_weights.type(value.dtype)
        attn_weights = self.dropout(attn_weights)

        attn_output = torch.matmul(attn_weights, value)

        return attn_output, attn_weights

    def _split_heads(self, tensor, num_heads, attn_head_size):
        new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
        tensor = tensor.view(new_shape)
        return tensor.permute(0, 2, 1, 3)

    def _merge_heads(self, tensor, num_heads, attn_head_size):
        tensor = tensor.permute(0, 2, 1, 3).contiguous()
        new_shape = tensor.size()[:-2] + (num_heads * attn_head_size,)
        return tensor.view(new_shape)

    def forward(self, hidden_states, padding_mask=None):
        if hidden_states.dim() == 2:  # the kit's unbatched input: run it as a batch of one
            return self.forward(hidden_states.unsqueeze(0), None if padding_mask is None else padding_mask.unsqueeze(0)).squeeze(0)
        if hidden_states.size(-2) > self.mask.size(-1):
            raise ValueError(f"{hidden_states.size(-2)} positions, but at most {self.mask.size(-1)}")
        query = self.W_query(hidden_states)
        key = self.W_key(hidden_states)
        value = self.W_value(hidden_states)

        query = self._split_heads(query, self.num_heads, self.head_dim)
        key = self._split_heads(key, self.num_heads, self.head_dim)
        value = self._split_heads(value, self.num_heads, self.head_dim)

        attn_output, attn_weights = self._attn(query, key, value, padding_mask)

        attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
        attn_output = self.out_proj(attn_output)
        attn_output = self.resid_dropout(attn_output)

        return attn_output
