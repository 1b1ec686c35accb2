"""reczoo/FuxiCTR#30: MultiHeadAttention bug when num_heads is greater than 1 (https://github.com/reczoo/FuxiCTR/issues/30).

The heads were split with a single view to (batch * heads, -1, head_dim), without moving the
head axis in front of the tokens first. Each "head" then holds pieces of different tokens, which
goes unnoticed with one head and scrambles attention with more.
"""
BASED_ON = "raschka_multiheadattention__multi_head_attention"
EDITS = [("keys = keys.view(b, num_tokens, self.num_heads, self.head_dim)",
          "keys = keys.view(b, self.num_heads, num_tokens, self.head_dim)"),
         ("values = values.view(b, num_tokens, self.num_heads, self.head_dim)",
          "values = values.view(b, self.num_heads, num_tokens, self.head_dim)"),
         ("queries = queries.view(b, num_tokens, self.num_heads, self.head_dim)",
          "queries = queries.view(b, self.num_heads, num_tokens, self.head_dim)"),
         ("        # heads before tokens\n        keys = keys.transpose(1, 2)\n        queries = queries.transpose(1, 2)\n"
          "        values = values.transpose(1, 2)\n", "")]
MISCONCEPTION = "mha_split_without_transpose"
