"""esceptico/perceiver-io#9: Bug in MultiHeadAttention (https://github.com/esceptico/perceiver-io/issues/9).

The scale was stored as head_dim ** -0.5 and the scores were then divided by it, which multiplies
them by √head_dim instead of dividing. The same slip in the other direction, multiplying by
head_dim ** 0.5, is what this edit does.
"""
BASED_ON = "raschka_mhaeinsum__multi_head_attention"
EDITS = [('torch.einsum("bhnd,bhmd->bhnm", Q, K) / (self.head_dim ** 0.5)',
          'torch.einsum("bhnd,bhmd->bhnm", Q, K) * (self.head_dim ** 0.5)')]
MISCONCEPTION = "mha_scale_inverted"
