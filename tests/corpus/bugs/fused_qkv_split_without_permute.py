"""649453932/Chinese-Text-Classification-Pytorch#53: transformer (https://github.com/649453932/Chinese-Text-Classification-Pytorch/issues/53).

The report's multi-head attention splits its queries, keys and values into heads with a single view, never moving
the head axis in front of the tokens, so each "head" holds pieces of several tokens. Here the same slip in a
fused layout: GPT-2's c_attn makes queries, keys and values in one projection, and its _split_heads views each
third as (batch, heads, tokens, head size) directly instead of viewing it as (batch, tokens, heads, head size)
and permuting.
"""
BASED_ON = "hf_gpt2_attention__multi_head_attention"
EDITS = [("""        new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
        tensor = tensor.view(new_shape)
        return tensor.permute(0, 2, 1, 3)""",
          """        return tensor.view(tensor.size(0), num_heads, tensor.size(1), attn_head_size)""")]
MISCONCEPTION = "mha_split_without_transpose"
