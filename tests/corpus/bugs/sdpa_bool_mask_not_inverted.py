"""rasbt/LLMs-from-scratch#1062: Fix causal mask in SDPA attention (https://github.com/rasbt/LLMs-from-scratch/pull/1062).

The bonus notebook's MHAPyTorchSDPAWithoutFlash passed its causal buffer (True above the
diagonal, meant as "blocked") to F.scaled_dot_product_attention, which reads a bool mask as
"may attend". Each token then attended only to the tokens after it, and the last token to none.
"""
BASED_ON = "raschka_mha_sdpa_noflash__multi_head_attention"
EDITS = [("attn_mask = ~self.mask[:num_tokens, :num_tokens]", "attn_mask = self.mask[:num_tokens, :num_tokens]"),
         ("attn_mask = ~self.mask[:self.context_length, :self.context_length]",
          "attn_mask = self.mask[:self.context_length, :self.context_length]")]
MISCONCEPTION = "mha_sdpa_mask_not_inverted"
