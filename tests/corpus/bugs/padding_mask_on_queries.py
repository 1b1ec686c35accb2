"""hyunwoongko/transformer#40: fix(model): attention pad mask (https://github.com/hyunwoongko/transformer/pull/40).

The padding mask was unsqueezed so that it broadcast over the query axis (one value per row)
instead of the key axis (one value per column). Padding tokens could then still be attended
to, and a padded query lost all its keys, which gives NaN with a -inf fill.
"""
BASED_ON = "raschka_causalattention__masked_self_attention"
EDITS = [("attn_scores.masked_fill_(padding_mask[:, None, :], -torch.inf)",
          "attn_scores.masked_fill_(padding_mask[:, :, None], -torch.inf)")]
MISCONCEPTION = "padding_on_queries"
