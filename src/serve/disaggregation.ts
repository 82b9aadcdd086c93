import { transferSeconds } from '../cost/topology.js';
import type { Engine } from './engine.js';
import { kvBytesPerRequest } from './memory.js';
import { prefillTime } from './prefill.js';

/**
 * Prefill/decode disaggregation (DistServe, Splitwise): separate replicas prefill and decode;
 * the prompt's KV cache crosses the scale-out network, layer by layer, to a decode replica.
 */
export interface Disaggregation {
  prefillDevices: number;
  decodeDevices: number;
  /** Decode-to-prefill request rates per replica (how many prefill replicas one decode replica needs). */
  ratio: number;
  /** KV transfer time left exposed per request (the last layer's share; the rest overlaps the prefill). */
  kvTransferSeconds: number;
  requestsPerSecond: number;
}

export function disaggregate(e: Engine, replicas: number, decodeConcurrency: number, decodeStepSeconds: number): Disaggregation {
  const w = e.job.workload;
  const perReplica = e.split.tensor * e.split.pipeline;
  const batch = Math.max(1, w.maxBatchTokens / w.inputTokens);
  const pfRate = batch / prefillTime(e, batch).seconds; // prompts/s per prefill replica
  const decRate = decodeConcurrency / (w.outputTokens * decodeStepSeconds);
  const ratio = decRate / pfRate;
  const kv = kvBytesPerRequest(e, w.inputTokens);
  const xfer = transferSeconds(kv, e.target.fabric, 'scaleOut');
  const total = Math.max(2, replicas);
  const np = Math.max(1, Math.round((total * ratio) / (1 + ratio)));
  const nd = Math.max(1, total - np);
  return {
    prefillDevices: np * perReplica,
    decodeDevices: nd * perReplica,
    ratio,
    kvTransferSeconds: xfer / e.job.model.layers,
    // each pool runs below saturation (0.9 / 0.92 utilisation headroom of a continuous batcher)
    requestsPerSecond: Math.min(0.9 * np * pfRate, 0.92 * nd * decRate),
  };
}
