"""onnx/onnx#7274: Update attention gqa to use repeat interleave within repeat kv (https://github.com/onnx/onnx/pull/7274).

ONNX's Attention operator matched key/value heads to query heads with Tile, which gives the heads in
turn, [head0, head1, head0, head1], where PyTorch's grouped-query attention repeats each head in place,
[head0, head0, head1, head1]: query head i must read key/value head i // (num_heads // num_kv_heads).
Here the same mistake in PyTorch: `repeat` along the heads in place of `repeat_interleave`.
"""
BASED_ON = "raschka_gqa_kvcache__modern_attention"
EDITS = [("keys = keys_base.repeat_interleave(self.group_size, dim=1)",
          "keys = keys_base.repeat(1, self.group_size, 1, 1)"),
         ("values = values_base.repeat_interleave(self.group_size, dim=1)",
          "values = values_base.repeat(1, self.group_size, 1, 1)")]
MISCONCEPTION = "gqa_repeat_not_interleaved"
