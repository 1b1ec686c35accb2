"""huggingface/transformers#25199: [LLaMA] Rotary positional embedding differs with official implementation (https://github.com/huggingface/transformers/issues/25199).

Meta's Llama code rotates neighbouring features (2i, 2i + 1) as one complex number
(`view_as_complex(x.reshape(..., -1, 2)) * freqs_cis`), Hugging Face's rotate_half pairs feature i
with i + head_dim/2. Both are RoPE; the answer in the thread is that the weight conversion permutes
the query and key projections so that the two agree. On the same weights they give different numbers,
and the kit fixes the halves. Here the entry's attention, which calls apply_rope, gets Meta's complex
formulation as its apply_rope.
"""
BASED_ON = "raschka_gqa_kvcache__modern_attention"
EDITS = [('EXERCISE = "modern_attention"\n',
          '''EXERCISE = "modern_attention"


def apply_rope(x, positions, base=10000.0):
    dim = x.shape[-1]
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    freqs = torch.outer(positions.float(), freqs)
    freqs_cis = torch.polar(torch.ones_like(freqs), freqs)  # complex64
    x_ = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(x_ * freqs_cis).flatten(-2).type_as(x)
''')]
MISCONCEPTION = "rope_pairs_neighbours"
