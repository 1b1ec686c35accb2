"""One module of checks per exercise; each exercise's points add up to 10."""

# exercise id -> the graded parts, in notebook order
CATALOG = {
    "self_attention": ["scaled_dot_product_attention", "SelfAttention"],
    "masked_self_attention": ["causal_mask", "CausalSelfAttention"],
    "cross_attention": ["CrossAttention"],
    "multi_head_attention": ["MultiHeadAttentionWrapper", "MultiHeadAttention"],
}
