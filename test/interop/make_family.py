"""Writes a small random checkpoint of one model family with transformers' own save_pretrained,
for the interop tests: python make_family.py OUT_DIR FAMILY, FAMILY one of
mixtral (a mixture of experts: router + fused experts in transformers 5), qwen2_moe (router,
shared expert and its gate) or llama-tied (the head tied to the input embedding: no lm_head
tensor). Their configs hold floats such as 0.0 that transformers' strict config classes
require to stay floats."""
import sys

import torch
from transformers import AutoModelForCausalLM, LlamaConfig, MixtralConfig, Qwen2MoeConfig

out, family = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
common = dict(vocab_size=512, hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256)
if family == "mixtral":
    cfg = MixtralConfig(**common, num_local_experts=4, num_experts_per_tok=2, router_jitter_noise=0.0)
elif family == "qwen2_moe":
    cfg = Qwen2MoeConfig(**common, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=256, shared_expert_intermediate_size=512)
elif family == "llama-tied":
    cfg = LlamaConfig(**common, tie_word_embeddings=True)
else:
    raise SystemExit(f"unknown family {family}")
model = AutoModelForCausalLM.from_config(cfg).to(torch.bfloat16)
with torch.no_grad():
    for p in model.parameters():
        if p.dim() >= 2:
            p.normal_(0, 0.02)
model.save_pretrained(out, safe_serialization=True)
print(out)
