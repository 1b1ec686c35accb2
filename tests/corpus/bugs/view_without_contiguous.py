"""facebookresearch/fairseq#2598: Multi-head attention module throwing RuntimeError: view size is not compatible with input tensor's size and stride (https://github.com/facebookresearch/fairseq/issues/2598).

A tensor that has been transposed is no longer contiguous, and .view() cannot merge axes whose
memory is interleaved. Merging the heads with view() right after transpose(1, 2) raises this
RuntimeError whenever there is more than one head and more than one token.
"""
BASED_ON = "raschka_multiheadattention__multi_head_attention"
EDITS = [("context_vec = context_vec.contiguous().view(b, num_tokens, self.d_out)",
          "context_vec = context_vec.view(b, num_tokens, self.d_out)")]
MISCONCEPTION = "mha_view_without_contiguous"
