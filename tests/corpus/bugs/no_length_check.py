"""karpathy/nanoGPT#473: [Question] The mask size seems wrong? (https://github.com/karpathy/nanoGPT/issues/473).

With a sequence longer than the block size, slicing the causal buffer to [:T, :T] silently gives
a block_size square, and the fill then fails with a shape error deep inside forward. The book's
CausalAttention, as printed, has the same gap; the kit asks for a ValueError up front.
"""
BASED_ON = "raschka_causalattention__masked_self_attention"
EDITS = [('        if num_tokens > self.mask.shape[0]:\n'
          '            raise ValueError(f"{num_tokens} tokens exceed the context length {self.mask.shape[0]}")\n', "")]
MISCONCEPTION = "no_length_check"
