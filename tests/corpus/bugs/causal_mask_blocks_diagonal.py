"""RVC-Boss/GPT-SoVITS#965: 这个mask是否有问题？ (is this mask wrong?) (https://github.com/RVC-Boss/GPT-SoVITS/issues/965).

The report asks which diagonal a causal mask built with triu should start from: with diagonal=0 the main
diagonal is blocked too, and a token cannot attend to itself; the first token then sees no key at all.
Here the head's mask starts at the main diagonal; the head still turns a row with every key blocked into
zeros, so no NaN shows where it went wrong.
"""
BASED_ON = "raschka_causalattention__masked_self_attention"
EDITS = [("self.register_buffer('mask', torch.triu(torch.ones(context_length, context_length), diagonal=1))",
          "self.register_buffer('mask', torch.triu(torch.ones(context_length, context_length), diagonal=0))")]
MISCONCEPTION = "mask_blocks_diagonal"
