"""ajhalthor/Transformer-Neural-Network#8: permute before reshape (https://github.com/ajhalthor/Transformer-Neural-Network/issues/8).

After attention the values are laid out (batch, heads, tokens, head_dim); reshaping that
straight to (batch, tokens, heads * head_dim) without permuting the token axis back in front
mixes features of different tokens into one output row.
"""
BASED_ON = "raschka_multiheadattention__multi_head_attention"
EDITS = [("context_vec = (attn_weights @ values).transpose(1, 2)", "context_vec = (attn_weights @ values)")]
MISCONCEPTION = "mha_merge_without_transpose"
