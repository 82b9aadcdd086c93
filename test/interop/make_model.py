"""Writes a small random Llama checkpoint (BF16 safetensors + config.json) with transformers' own
save_pretrained, for the interop tests: python make_model.py OUT_DIR [hidden] [layers]."""
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM

out = sys.argv[1]
hidden = int(sys.argv[2]) if len(sys.argv) > 2 else 256
layers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch.manual_seed(0)
cfg = LlamaConfig(
    vocab_size=512,
    hidden_size=hidden,
    intermediate_size=2 * hidden + 256,
    num_hidden_layers=layers,
    num_attention_heads=8,
    num_key_value_heads=4,
    max_position_embeddings=256,
    tie_word_embeddings=False,
)
model = LlamaForCausalLM(cfg).to(torch.bfloat16)
with torch.no_grad():
    for p in model.parameters():
        if p.dim() == 2:
            p.normal_(0, 0.02)
model.save_pretrained(out, safe_serialization=True)
print(out)
