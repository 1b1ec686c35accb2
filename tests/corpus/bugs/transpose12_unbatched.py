"""maxjcohen/transformer#21: IndexError: Dimension out of range (expected to be in range of [-2, 1], but got 2) when doing keys.transpose (https://github.com/maxjcohen/transformer/issues/21).

The attention hard-coded the batch axis (`keys.transpose(1, 2)`, a three-way unpacking of the
shape), so a tensor without a batch axis failed. The book's CausalAttention does the same; this
edit removes the corpus entry's handling of unbatched (n, d_in) input.
"""
BASED_ON = "raschka_causalattention__masked_self_attention"
EDITS = [("        if x.dim() == 2:  # unbatched: run as a batch of one\n"
          "            padding_mask = None if padding_mask is None else padding_mask.unsqueeze(0)\n"
          "            return self.forward(x.unsqueeze(0), padding_mask).squeeze(0)\n", "")]
MISCONCEPTION = "three_sizes_unpacked"
