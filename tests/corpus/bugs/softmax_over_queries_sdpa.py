"""nerminnuraydogan/vision-transformer#1: softmax along wrong dimension in the jupyter notebook (https://github.com/nerminnuraydogan/vision-transformer/issues/1).

The tutorial's attention weights were computed with a softmax over the query axis; the author
confirmed it should be the last axis (dim=-1). Each key's column then sums to one instead of
each query's row.
"""
BASED_ON = "annotated_transformer_attention__self_attention"
EDITS = [("p_attn = scores.softmax(dim=-1)", "p_attn = scores.softmax(dim=-2)")]
MISCONCEPTION = "sdpa_softmax_over_queries"
