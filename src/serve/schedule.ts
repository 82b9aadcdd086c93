/**
 * The prefetch schedule of streamed weights (seed 000: "which layers to offload, and the
 * schedule that overlaps PCIe transfers with compute"; FlexGen and DeepSpeed ZeRO-Inference
 * prefetch the next layer while the current one computes). Layers run in order; a streamed
 * layer's weights cross the host link into one of `buffers` device buffers, one transfer at a
 * time, as soon as the link is free and a buffer is: a buffer frees when the layer it holds has
 * computed. A layer computes when the one before has and its weights have arrived. The weights
 * are the same every step, so the transfers of the next step start while this one finishes
 * (steps repeat: decode); the answer is the period of the steady state. Pure.
 */

export interface StreamedStep {
  /** Seconds between the ends of two steps in the steady state. */
  seconds: number;
  /** Seconds the link is busy per step (the sum of the transfers). */
  linkSeconds: number;
}

/** Steps simulated to reach the steady state (the buffers' start-up settles within two). */
const STEPS = 4;

/**
 * `compute[i]`: device seconds of item i (a layer, or the head), `transfer[i]`: seconds its
 * weights take over the link each step (0: resident). `buffers` >= 1.
 */
export function streamedStep(compute: ArrayLike<number>, transfer: ArrayLike<number>, buffers: number): StreamedStep {
  const n = compute.length;
  const b = Math.max(1, Math.floor(buffers));
  // the times the buffers free, as a ring: transfer j uses the buffer transfer j - b used
  const free = new Float64Array(b);
  let slot = 0;
  let link = 0;
  let t = 0;
  let period = 0;
  let linkSeconds = 0;
  for (let step = 0; step < STEPS; step++) {
    const start = t;
    for (let i = 0; i < n; i++) {
      const x = transfer[i]!;
      if (x > 0) {
        const begin = Math.max(link, free[slot]!);
        link = begin + x;
        t = Math.max(t, link) + compute[i]!;
        free[slot] = t;
        slot = (slot + 1) % b;
        if (step === 0) linkSeconds += x;
      } else t += compute[i]!;
    }
    period = t - start;
  }
  return { seconds: period, linkSeconds };
}
