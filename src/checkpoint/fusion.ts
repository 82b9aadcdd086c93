/**
 * How loaders fuse a checkpoint's layers (vLLM's packed_modules_mapping and FusedMoE): the q/k/v
 * and the gate/up projections of one block load as one layer (`qkv_proj`, `gate_up_proj`), and
 * all the experts of a mixture-of-experts layer as one, each taking one format for all its parts.
 */

/** One expert's tensor inside a mixture-of-experts layer (`<layer>.experts.<e>.…`, Switch's `experts.expert_<e>`); group 1 is the layer. */
export const EXPERT = /^(.*\.experts)\.(expert_)?\d+\./;

/**
 * The fused layer a weight (`….weight`) or module name loads in, named as vLLM names it; a name
 * outside such a group is its own key.
 */
export function fusionKey(name: string): string {
  const e = EXPERT.exec(name);
  if (e) return e[1]!;
  const m = /^(.*)\.(q_proj|k_proj|v_proj|gate_proj|up_proj)(\.weight)?$/.exec(name);
  if (!m) return name;
  return `${m[1]}.${m[2] === 'gate_proj' || m[2] === 'up_proj' ? 'gate_up_proj' : 'qkv_proj'}`;
}
