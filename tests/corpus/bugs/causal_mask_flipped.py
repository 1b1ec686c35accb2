"""pytorch/examples#649: Transformer Language Model Example Wrong Mask (https://github.com/pytorch/examples/issues/649).

The word-language-model example's square subsequent mask came out flipped: it masked the past
and left the future visible. Here the course's `tril(...) == 0` test is turned into `== 1`,
which blocks each token and its predecessors and lets it see only later tokens.
"""
BASED_ON = "statquest_maskedselfattention__masked_self_attention"
EDITS = [("    mask = mask == 0\n", "    mask = mask == 1\n")]
MISCONCEPTION = "mask_inverted"
