"""FrancescoSaverioZuppichini/ViT#1: Scaling is wrong (https://github.com/FrancescoSaverioZuppichini/ViT/issues/1).

The multi-head attention divided the scores by the square root of the whole embedding size
instead of the size of one head. Every head's scores then shrink by a further √num_heads, so
the attention is flatter than scaled dot-product attention prescribes.
"""
BASED_ON = "raschka_multiheadattention__multi_head_attention"
EDITS = [("torch.softmax(attn_scores / keys.shape[-1]**0.5, dim=-1)", "torch.softmax(attn_scores / self.d_out**0.5, dim=-1)")]
MISCONCEPTION = "mha_scaled_by_d_out"
