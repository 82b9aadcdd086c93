"""Quantizes every linear weight of a checkpoint with bitsandbytes itself and compares the bytes
with the tensors Sinan wrote for the same weights.

    python compare_bnb.py ORIGINAL_DIR SINAN_DIR QUANT_TYPE BLOCKSIZE DOUBLE_QUANT THREADS

THREADS: torch.set_num_threads (Sinan reproduces the single-threaded float32 mean of the block
scales; with more threads torch sums the scales in per-thread slices). Prints one JSON object:
per weight, whether packed codes, absmax (or its 8-bit codes), nested absmax and nested offset
are identical, and the dynamic map comparison.
"""
import json
import sys

import torch
from safetensors import safe_open

orig_dir, sinan_dir, qtype, bs, dq, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1", int(sys.argv[6])
torch.set_num_threads(threads)
import bitsandbytes.functional as F  # noqa: E402

out = {"threads": threads, "weights": {}}
with safe_open(f"{orig_dir}/model.safetensors", "pt") as o, safe_open(f"{sinan_dir}/model.safetensors", "pt") as s:
    names = set(s.keys())
    for k in o.keys():
        if k + ".absmax" not in names:
            continue
        w = o.get_tensor(k)
        q, st = F.quantize_4bit(w, blocksize=bs, compress_statistics=dq, quant_type=qtype)
        r = {"packed": bool(torch.equal(q.flatten(), s.get_tensor(k).flatten()))}
        if dq:
            r["absmax_codes"] = bool(torch.equal(st.absmax.flatten(), s.get_tensor(k + ".absmax").flatten()))
            r["nested_absmax"] = bool(torch.equal(st.state2.absmax.flatten(), s.get_tensor(k + ".nested_absmax").flatten()))
            state = json.loads(bytes(s.get_tensor(k + f".quant_state.bitsandbytes__{qtype}").tolist()).decode())
            r["nested_offset"] = state["nested_offset"] == st.offset.item()
            r["nested_quant_map"] = bool(torch.equal(st.state2.code, s.get_tensor(k + ".nested_quant_map")))
            diff = (st.absmax.flatten().int() - s.get_tensor(k + ".absmax").flatten().int()).abs()
            r["absmax_codes_differing"] = int((diff > 0).sum())
        else:
            r["absmax"] = bool(torch.equal(st.absmax.flatten(), s.get_tensor(k + ".absmax").flatten()))
        out["weights"][k] = r
print(json.dumps(out))
