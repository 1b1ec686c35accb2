"""karpathy/ng-video-lecture#6: We should scale attention by head size (https://github.com/karpathy/ng-video-lecture/pull/6).

The lecture's Head multiplied the scores by C**-0.5, where C is the width of the input
embedding, not the width of the head's keys. With several heads the keys are narrower than the
input, so the scores were scaled too strongly and the softmax came out too flat.
"""
BASED_ON = "karpathy_lecture_head__masked_self_attention"
EDITS = [("wei = q @ k.transpose(-2,-1) * k.shape[-1]**-0.5", "wei = q @ k.transpose(-2,-1) * C**-0.5")]
MISCONCEPTION = "causal_scaled_by_d_in"
