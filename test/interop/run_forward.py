"""Loads an original and a Sinan-quantized checkpoint with transformers (device_map cpu) and runs
one forward pass of each: python run_forward.py ORIGINAL_DIR QUANTIZED_DIR. Prints one JSON
object: the relative error of the quantized model's logits against the original's, and the
classes of its linear modules."""
import json
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM

transformers.logging.set_verbosity_error()
orig, quant = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
ids = torch.randint(0, 500, (1, 16))
mo = AutoModelForCausalLM.from_pretrained(orig, dtype=torch.float32)
mq = AutoModelForCausalLM.from_pretrained(quant, device_map="cpu")
with torch.no_grad():
    lo = mo(ids).logits.float()
    lq = mq(ids).logits.float()
print(json.dumps({
    "logits_rel": float(((lo - lq).norm() / lo.norm()).item()),
    "linear_classes": sorted({type(m).__name__ for m in mq.modules() if "Linear" in type(m).__name__}),
}))
