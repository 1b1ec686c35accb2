"""nikhilbarhate99/min-decision-transformer#2: The position of `dropout` operation are different from official repo ? (https://github.com/nikhilbarhate99/min-decision-transformer/issues/2).

The attention applied its dropout to the output of weights @ values instead of to the attention
weights right after the softmax. That drops single output features rather than whole
attention links, which is a different regulariser from the one GPT uses.
"""
BASED_ON = "karpathy_lecture_head__masked_self_attention"
EDITS = [("        wei = self.dropout(wei)\n        v = self.W_value(x)\n        out = wei @ v",
          "        v = self.W_value(x)\n        out = self.dropout(wei @ v)")]
MISCONCEPTION = "dropout_on_output"
