"""Known mistakes, each written as a small edit of the reference, with the hint that names it.

Instructors only: the edits quote the reference. What students' tools need of this
catalog (each variant's hint and behaviour on the public inputs) is in the fixtures.

The grader uses them when a numeric check fails: it runs every variant of the
exercise on the same inputs (in the grader, since they are built from the
reference) and, when one reproduces the student's output, shows its hint. The
kit's tests submit every variant as a student would and expect it to lose points.
"""
import importlib
import linecache
import types
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


@dataclass(frozen=True)
class Misconception:
    id: str
    exercise: str
    hint: str
    edits: tuple  # (old, new) pairs applied to solutions/<exercise>.py; every old must occur

    def source(self):
        text = (SOLUTIONS / f"{self.exercise}.py").read_text()
        for old, new in self.edits:
            if old not in text:
                raise ValueError(f"misconception {self.id}: {old!r} is not in solutions/{self.exercise}.py")
            text = text.replace(old, new)
        return text


def _m(id, exercise, hint, *edits):
    return Misconception(id, exercise, hint, tuple(edits))


SA, MSA, CA, MHA = "self_attention", "masked_self_attention", "cross_attention", "multi_head_attention"
SDPA_SCORES = "scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)"
HEAD_SOFTMAX = "weights = torch.softmax(scores / math.sqrt(keys.shape[-1]), dim=-1)"
SCALED_SCORES = "scores = queries @ keys.transpose(-2, -1) / math.sqrt(keys.shape[-1])"
MHA_SCORES = "scores = queries @ keys.transpose(-2, -1) / math.sqrt(hd)"
FILL = 'scores = scores.masked_fill(mask, float("-inf"))'
CAUSAL_FILL = 'scores = scores.masked_fill(blocked, float("-inf"))'
MHA_FILL = 'scores = scores.masked_fill(self.mask[:n, :n], float("-inf"))'

CATALOG = [
    # ---- exercise 1 ----
    _m("sdpa_unscaled", SA, "your scores look unscaled: divide QKᵀ by √d_k before the softmax",
       (SDPA_SCORES, "scores = query @ key.transpose(-2, -1)")),
    _m("sdpa_scaled_by_d", SA, "you divide by d_k; divide by its square root, √d_k",
       (SDPA_SCORES, "scores = query @ key.transpose(-2, -1) / d_k")),
    _m("sdpa_scaled_by_d_v", SA, "you scale by the width of the values; scale by √d_k, the width of queries and keys",
       (SDPA_SCORES, "scores = query @ key.transpose(-2, -1) / math.sqrt(value.shape[-1])")),
    _m("sdpa_softmax_over_queries", SA, "the softmax runs over the queries; take it over the keys, the last axis (dim=-1)",
       ("weights = torch.softmax(scores, dim=-1)", "weights = torch.softmax(scores, dim=-2)")),
    _m("sdpa_bias_not_broadcast", SA, "an in-place fill of an (n_q, n_k) bias cannot take a batched mask: fill "
       "out of place, or fill the scores themselves",
       (FILL, 'bias = torch.zeros(scores.shape[-2:], dtype=scores.dtype)\n'
              '        bias.masked_fill_(mask, float("-inf"))\n'
              '        scores = scores + bias')),
    _m("sdpa_transposed_scores", SA, "your scores are transposed: compute query @ keyᵀ, one row per query",
       (SDPA_SCORES, "scores = key @ query.transpose(-2, -1) / math.sqrt(d_k)")),
    _m("sdpa_mask_inverted", SA, "your mask is inverted: True means blocked, so fill the scores where mask is True",
       (FILL, 'scores = scores.masked_fill(~mask, float("-inf"))')),
    _m("sdpa_mask_zero_fill", SA, "blocked scores are set to 0, which still gets weight: fill them with -inf",
       (FILL, "scores = scores.masked_fill(mask, 0.0)")),
    _m("sdpa_mask_after_softmax", SA, "you zero blocked weights after the softmax without renormalising: "
       "fill the scores with -inf before it, or divide each row by its new sum",
       (FILL, "pass"), ("weights = torch.softmax(scores, dim=-1)",
                         "weights = torch.softmax(scores, dim=-1)\n    if mask is not None:\n"
                         "        weights = weights.masked_fill(mask, 0.0)")),
    _m("head_unscaled", SA, "your scores look unscaled: divide by √d_out before the softmax",
       (HEAD_SOFTMAX, "weights = torch.softmax(scores, dim=-1)")),
    _m("head_scaled_by_d_in", SA, "you scale by √d_in; the keys have width d_out, so scale by √d_out",
       (HEAD_SOFTMAX, "weights = torch.softmax(scores / math.sqrt(x.shape[-1]), dim=-1)")),
    _m("head_softmax_over_queries", SA, "in SelfAttention the softmax runs over the queries; take it over the keys (dim=-1)",
       (HEAD_SOFTMAX, "weights = torch.softmax(scores / math.sqrt(keys.shape[-1]), dim=-2)")),
    _m("head_scaled_after_softmax", SA, "you divide the weights by √d_out after the softmax; scale the scores "
       "before it, so that each row of weights still sums to 1",
       (HEAD_SOFTMAX, "weights = torch.softmax(scores, dim=-1) / math.sqrt(keys.shape[-1])")),
    _m("head_values_are_keys", SA, "the values come from W_key; use W_value for the values",
       ("values = self.W_value(x)  # (..., n, d_out)", "values = self.W_key(x)  # (..., n, d_out)")),
    _m("head_queries_are_keys", SA, "queries and keys come from the same projection; queries need W_query",
       ("queries = self.W_query(x)  # (..., n, d_out)", "queries = self.W_key(x)  # (..., n, d_out)")),
    _m("head_layer_order", SA, "create W_query, W_key, W_value in that order: the order decides which random numbers each gets",
       ("        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)\n        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)\n",
        "        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)\n        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)\n")),
    # ---- exercise 2 ----
    _m("mask_inverted", MSA, "your causal mask is inverted: True must mark the keys after the query (above the diagonal)",
       (".triu(diagonal=1)", ".tril()")),
    _m("mask_blocks_diagonal", MSA, "your mask also blocks the diagonal: a token may attend to itself (triu with diagonal=1)",
       (".triu(diagonal=1)", ".triu(diagonal=0)")),
    _m("mask_float", MSA, "causal_mask returns numbers; return a bool tensor (True = blocked)",
       ("return torch.ones(n, n, dtype=torch.bool, device=device).triu(diagonal=1)",
        "return torch.ones(n, n, device=device).triu(diagonal=1)")),
    _m("causal_zero_fill", MSA, "blocked scores are set to 0, which still gets weight: fill them with -inf",
       (CAUSAL_FILL, "scores = scores.masked_fill(blocked, 0.0)")),
    _m("causal_after_softmax", MSA, "you zero future weights after the softmax without renormalising: "
       "fill the scores with -inf before it",
       (CAUSAL_FILL, "pass"), ("weights = torch.softmax(scores, dim=-1)\n",
                                "weights = torch.softmax(scores, dim=-1).masked_fill(blocked, 0.0)\n")),
    _m("causal_scaled_by_d_in", MSA, "you scale by √d_in, the width of the input; the keys have width d_out, so "
       "divide the scores by √d_out (keys.shape[-1])",
       (SCALED_SCORES, "scores = queries @ keys.transpose(-2, -1) / math.sqrt(x.shape[-1])")),
    _m("causal_unscaled", MSA, "your scores look unscaled: divide by √d_out before the softmax",
       (SCALED_SCORES, "scores = queries @ keys.transpose(-2, -1)")),
    _m("padding_on_queries", MSA, "you block padding tokens as queries (rows); block them as keys (columns): "
       "padding_mask.unsqueeze(-2)", ("padding_mask.unsqueeze(-2)", "padding_mask.unsqueeze(-1)")),
    _m("padding_ignored", MSA, "the padding mask is ignored: combine it with the causal mask",
       ("blocked = blocked | padding_mask.unsqueeze(-2)  # (..., n, n)", "pass")),
    _m("fully_blocked_nan", MSA, "a query that can see no key (a padding token before the first real one) gets "
       "NaN from a softmax over nothing but -inf, and the next layer spreads it to every token (0 × NaN = NaN): "
       "give rows whose keys are all blocked zero weights",
       ("        weights = weights.masked_fill(blocked.all(dim=-1, keepdim=True), 0.0)\n", "")),
    _m("dropout_on_output", MSA, "dropout acts on the output; apply it to the attention weights, before multiplying by the values",
       ("weights = self.dropout(weights)  # drops attention links, in training mode only\n        return weights @ values",
        "return self.dropout(weights @ values)")),
    _m("dropout_always_on", MSA, "dropout is applied in eval mode too; nn.Dropout switches itself off after .eval()",
       ("weights = self.dropout(weights)", "weights = nn.functional.dropout(weights, self.dropout.p, training=True)")),
    _m("mask_not_sliced", MSA, "the mask is not cut to the sequence: use self.mask[:n, :n]",
       ("blocked = self.mask[:n, :n]  # (n, n)", "blocked = self.mask  # (n, n)")),
    _m("mask_not_buffer", MSA, "the mask is a plain attribute; register it with self.register_buffer('mask', ...)",
       ('self.register_buffer("mask", causal_mask(context_length))', "self.mask = causal_mask(context_length)")),
    _m("no_length_check", MSA, "no ValueError for a sequence longer than context_length",
       ('raise ValueError(f"sequence length {n} is longer than context_length {context_length}")', "pass")),
    # ---- exercise 3 ----
    _m("cross_kv_from_queries", CA, "keys and values come from x_q; in cross-attention they come from x_kv",
       ("keys = self.W_key(x_kv)", "keys = self.W_key(x_q)"), ("values = self.W_value(x_kv)", "values = self.W_value(x_q)")),
    _m("cross_values_from_queries", CA, "the values come from x_q; they must come from x_kv, like the keys",
       ("values = self.W_value(x_kv)", "values = self.W_value(x_q)")),
    _m("cross_unscaled", CA, "your scores look unscaled: divide by √d_out before the softmax",
       (SCALED_SCORES, "scores = queries @ keys.transpose(-2, -1)")),
    _m("cross_softmax_over_queries", CA, "the softmax runs over the queries; take it over the keys, the last axis (dim=-1)",
       ("weights = torch.softmax(scores, dim=-1)", "weights = torch.softmax(scores, dim=-2)")),
    _m("cross_mask_inverted", CA, "your mask is inverted: True means blocked",
       (FILL, 'scores = scores.masked_fill(~mask, float("-inf"))')),
    _m("cross_mask_ignored", CA, "the mask is ignored: fill blocked scores with -inf before the softmax", (FILL, "pass")),
    # ---- exercise 4 ----
    _m("wrapper_wrong_axis", MHA, "the heads are concatenated along the wrong axis: use dim=-1, the features",
       ("torch.cat([head(x) for head in self.heads], dim=-1)", "torch.cat([head(x) for head in self.heads], dim=-2)")),
    _m("wrapper_shared_head", MHA, "every head is the same module: build a new CausalSelfAttention for each head",
       ("self.heads = nn.ModuleList(\n            CausalSelfAttention(d_in, d_out, context_length, dropout, qkv_bias) for _ in range(num_heads)\n        )",
        "head = CausalSelfAttention(d_in, d_out, context_length, dropout, qkv_bias)\n        self.heads = nn.ModuleList([head] * num_heads)")),
    _m("wrapper_reversed", MHA, "the heads come out in reverse order: head 0's features go first",
       ("torch.cat([head(x) for head in self.heads], dim=-1)", "torch.cat([head(x) for head in self.heads][::-1], dim=-1)")),
    _m("wrapper_output_dropout", MHA, "the wrapper drops features of its output; dropout belongs inside each head, "
       "on its attention weights, and the heads already apply it",
       ("        self.heads = nn.ModuleList(", "        self.dropout = nn.Dropout(dropout)\n        self.heads = nn.ModuleList("),
       ("return torch.cat([head(x) for head in self.heads], dim=-1)",
        "return self.dropout(torch.cat([head(x) for head in self.heads], dim=-1))")),
    _m("mha_dropout_on_context", MHA, "dropout acts on the context the heads return; apply it to the attention "
       "weights, after the softmax and before multiplying by the values",
       ("weights = self.dropout(torch.softmax(scores, dim=-1))", "weights = torch.softmax(scores, dim=-1)"),
       ("return self.out_proj(context)", "return self.out_proj(self.dropout(context))")),
    _m("mha_no_dropout", MHA, "no attention weight is dropped in training mode: apply self.dropout to the weights "
       "after the softmax", ("weights = self.dropout(torch.softmax(scores, dim=-1))", "weights = torch.softmax(scores, dim=-1)")),
    _m("mha_no_out_proj", MHA, "the output projection is missing: finish with self.out_proj(context)",
       ("return self.out_proj(context)", "return context")),
    _m("mha_merge_without_transpose", MHA, "the heads are merged without transposing back: "
       "(b, h, n, hd) must become (b, n, h, hd) before the reshape",
       ("context = (weights @ values).transpose(1, 2)  # (b, n, h, hd)", "context = weights @ values")),
    _m("mha_split_without_transpose", MHA, "the heads are split without a transpose: view(b, n, h, hd).transpose(1, 2)",
       ("queries = self.W_query(x).view(b, n, h, hd).transpose(1, 2)", "queries = self.W_query(x).view(b, h, n, hd)"),
       ("keys = self.W_key(x).view(b, n, h, hd).transpose(1, 2)", "keys = self.W_key(x).view(b, h, n, hd)"),
       ("values = self.W_value(x).view(b, n, h, hd).transpose(1, 2)", "values = self.W_value(x).view(b, h, n, hd)")),
    _m("mha_scaled_by_d_out", MHA, "you scale by √d_out; each head's keys have width head_dim, so scale by √head_dim",
       (MHA_SCORES, "scores = queries @ keys.transpose(-2, -1) / math.sqrt(h * hd)")),
    _m("mha_scale_inverted", MHA, "your scores are multiplied by √head_dim; divide by it (or multiply by head_dim ** -0.5)",
       (MHA_SCORES, "scores = queries @ keys.transpose(-2, -1) * math.sqrt(hd)")),
    _m("mha_sdpa_mask_not_inverted", MHA, "F.scaled_dot_product_attention reads a bool attn_mask as True = may "
       "attend, the opposite of this kit's mask: pass ~mask (or is_causal=True); as it is, each token sees only "
       "the tokens after it", (MHA_FILL, 'scores = scores.masked_fill(~self.mask[:n, :n], float("-inf"))'),
       ("weights = self.dropout(torch.softmax(scores, dim=-1))",
        "weights = self.dropout(torch.softmax(scores, dim=-1).nan_to_num(0.0))")),
    _m("mha_view_without_contiguous", MHA, "view() cannot merge the heads of a transposed tensor: call "
       ".contiguous() before .view(), or use .reshape()",
       ("context = context.reshape(b, n, h * hd)", "context = context.view(b, n, h * hd)")),
    _m("mha_unscaled", MHA, "your scores look unscaled: divide by √head_dim before the softmax",
       (MHA_SCORES, "scores = queries @ keys.transpose(-2, -1)")),
    _m("mha_no_mask", MHA, "the causal mask is missing: fill self.mask[:n, :n] with -inf before the softmax", (MHA_FILL, "pass")),
    _m("mha_no_divisibility_check", MHA, "no ValueError when d_out is not divisible by num_heads",
       ('raise ValueError(f"d_out ({d_out}) must be divisible by num_heads ({num_heads})")', "pass")),
]


def for_exercise(exercise):
    return [misconception for misconception in CATALOG if misconception.exercise == exercise]


@cache
def namespace(misconception_id):
    """The globals of the variant module, built in the grader's package `solutions` (never next to student code)."""
    misconception = next(m for m in CATALOG if m.id == misconception_id)
    return variant_namespace(misconception)


def variant_namespace(variant):
    """The globals of any edit of the reference (a Misconception, or a correct variant in the tests)."""
    importlib.import_module(f"solutions.{variant.exercise}")  # its siblings, for relative imports
    module = types.ModuleType(f"solutions._variant_{variant.id}")
    module.__package__ = "solutions"
    source, filename = variant.source(), f"<misconception {variant.id}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # so errors show their line
    exec(compile(source, filename, "exec"), module.__dict__)
    return module.__dict__


def variant_observations(misconception, probes):
    from .probes import observer

    return observer(namespace(misconception.id))(probes)


def candidates(exercise, probes):
    """(id, hint, observations) of every known mistake of the exercise on these probes."""
    return ((m.id, m.hint, variant_observations(m, probes)) for m in for_exercise(exercise))


def fails(misconception_id, check, probes):
    """Whether the known mistake fails the check on these probes (against the reference)."""
    from .checks import reference_observations, verdict

    misconception = next(m for m in CATALOG if m.id == misconception_id)
    expected = reference_observations(misconception.exercise, probes) if check.against != "properties" else None
    return verdict(check, probes, variant_observations(misconception, probes), expected)[0] != "passed"
