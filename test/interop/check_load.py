"""Loads a checkpoint Sinan wrote with the library its users load it with, and compares every
linear weight the loader reconstructs with the original BF16 weight.

    python check_load.py KIND ORIGINAL_DIR QUANTIZED_DIR

KIND: bnb (transformers + bitsandbytes), ct (transformers + compressed-tensors), fp8-block
(transformers' fine-grained FP8), gptq (no GPTQ loader installs here: the tensors are unpacked
by the rules of AutoGPTQ's qlinear_cuda_old.pack, written out here independently), raw
(safetensors.safe_open of a lossless round trip). Prints one JSON object: per weight, the
relative RMS error of the loaded weight against the original, plus logits of the loaded model
against the original's where a model loads.
"""
import json
import sys

import torch
from safetensors import safe_open

kind, orig_dir, q_dir = sys.argv[1], sys.argv[2], sys.argv[3]


def originals():
    out = {}
    with safe_open(f"{orig_dir}/model.safetensors", "pt") as f:
        for k in f.keys():
            out[k] = f.get_tensor(k).float()
    return out


def rel(a, b):
    a = a.float()
    b = b.float().reshape(a.shape)
    return float(((a - b).norm() / a.norm()).item())


def logits_of(model):
    ids = torch.tensor([[1, 5, 9, 100, 200, 300, 7, 2]])
    with torch.no_grad():
        return model(ids).logits.float()


result = {"kind": kind, "weights": {}, "loader": None}
orig = originals()

if kind == "raw":
    with safe_open(q_dir, "pt") as f:
        same = all(torch.equal(f.get_tensor(k), orig_t) for k, orig_t in ((k, None) for k in []))
        keys = list(f.keys())
        equal = {}
        with safe_open(f"{orig_dir}/model.safetensors", "pt") as g:
            for k in keys:
                equal[k] = bool(torch.equal(f.get_tensor(k), g.get_tensor(k)))
    result["loader"] = "safetensors.safe_open"
    result["equal"] = equal
    print(json.dumps(result))
    sys.exit(0)

if kind == "gptq":
    result["loader"] = "tensor check by AutoGPTQ's packing rules (no GPTQ loader installs here)"
    with safe_open(f"{q_dir}/model.safetensors", "pt") as f:
        keys = set(f.keys())
        cfg = json.load(open(f"{q_dir}/config.json"))["quantization_config"]
        bits = cfg["bits"]
        per = 32 // bits
        mask = (1 << bits) - 1
        for k in sorted(keys):
            if not k.endswith(".qweight"):
                continue
            m = k[: -len(".qweight")]
            qw = f.get_tensor(k).to(torch.int64) & 0xFFFFFFFF
            qz = f.get_tensor(m + ".qzeros").to(torch.int64) & 0xFFFFFFFF
            sc = f.get_tensor(m + ".scales").float()
            g_idx = f.get_tensor(m + ".g_idx").long()
            shifts = torch.arange(per) * bits
            q = ((qw.unsqueeze(1) >> shifts.view(1, per, 1)) & mask).reshape(-1, qw.shape[1])  # [in, out]
            z = ((qz.unsqueeze(2) >> shifts.view(1, 1, per)) & mask).reshape(qz.shape[0], -1) + 1  # v1: stored zero - 1
            w = sc[g_idx] * (q - z[g_idx])  # [in, out]
            result["weights"][m + ".weight"] = rel(orig[m + ".weight"], w.t())
    print(json.dumps(result))
    sys.exit(0)

from transformers import AutoModelForCausalLM  # noqa: E402

extra = {}
if kind == "ct":
    # decompress on load: every quantized Linear comes back dense, as compressed-tensors reconstructs it
    from transformers import CompressedTensorsConfig

    extra["quantization_config"] = CompressedTensorsConfig(run_compressed=False)
model = AutoModelForCausalLM.from_pretrained(q_dir, dtype=torch.bfloat16, device_map="cpu", **extra)
ref = AutoModelForCausalLM.from_pretrained(orig_dir, dtype=torch.bfloat16, device_map="cpu")
result["modules"] = {}
for name, mod in model.named_modules():
    w = getattr(mod, "weight", None)
    key = name + ".weight"
    if w is None or key not in orig or orig[key].dim() != 2:
        continue
    cls = type(mod).__name__
    result["modules"][name] = cls
    if kind == "bnb" and cls == "Linear4bit":
        import bitsandbytes.functional as F

        deq = F.dequantize_4bit(w.data, w.quant_state)
    elif kind == "fp8-block" and w.dtype == torch.float8_e4m3fn:
        s = (getattr(mod, "weight_scale_inv", None) if hasattr(mod, "weight_scale_inv") else mod.weight_scale).float()
        deq = w.float() * s.repeat_interleave(128, 0).repeat_interleave(128, 1)[: w.shape[0], : w.shape[1]]
    else:
        deq = w.float()
    result["weights"][key] = rel(orig[key], deq)
result["loader"] = f"transformers {__import__('transformers').__version__}"
lo, lr = logits_of(model), logits_of(ref)
result["logits_max_abs_diff"] = float((lo - lr).abs().max())
result["logits_rel"] = float(((lo - lr).norm() / lr.norm()).item())
print(json.dumps(result))
