"""PAIR-code/tiny-transformers#71: Fix scaling in attention computation (https://github.com/PAIR-code/tiny-transformers/issues/71).

The raw attention scores were not divided by the square root of the key dimension before the
softmax. Larger widths then give larger scores and an overly peaked softmax; the report suspects
this caused loss spikes.
"""
BASED_ON = "statquest_encoderdecoder__cross_attention"
EDITS = [("scaled_sims = sims / torch.tensor(k.size(self.col_dim)**0.5)", "scaled_sims = sims")]
MISCONCEPTION = "cross_unscaled"
