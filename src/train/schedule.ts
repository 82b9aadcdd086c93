import { allGatherSeconds, allReduceBytesPerRank, allReduceSeconds, reduceScatterSeconds, sendRecvSeconds } from '../cost/collective.js';
import { overlapped } from '../cost/overlap.js';
import { place } from '../cost/topology.js';
import { F } from './fields.js';
import { denseReplicas, expertReplicas } from './groups.js';
import { deviceMemory, offloadedFraction, recomputedFraction } from './memory.js';
import type { SplitCost } from './price-split.js';
import type { TrainJob, TrainPlan } from './types.js';

/**
 * Schedule of one optimizer step for a plan, on top of its SplitCost: pipeline (1F1B or
 * interleaved), data-parallel gradient traffic with ZeRO/FSDP, recomputation, optimizer.
 * Writes into a Float64Array (no allocation) so the search can call it millions of times.
 */

const BUCKET_BYTES = 40e6 * 4; // Megatron's default DDP bucket (40M fp32 elements)

function buckets(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / BUCKET_BYTES));
}

export function scheduleStep(job: TrainJob, p: TrainPlan, sc: SplitCost, out: Float64Array): void {
  const cal = job.cal;
  const f = sc.fabric;
  const L = job.model.layers;
  const pp = p.pipeline;
  const v = p.virtualStages;
  const tp = p.tensor;
  const cp = p.context;
  const dp = p.data;
  const m = job.globalBatchSize / (dp * p.microBatchSize);
  const seq = job.sequenceLength;

  // ---- per micro-batch, per stage
  const chunkLayers = Math.ceil(L / (pp * v));
  const stageLayers = chunkLayers * v;
  const rf = recomputedFraction(p, Math.min(stageLayers, L));
  const recFwd = p.recompute === 'full' ? rf * sc.recomputeFull : 0; // full recompute redoes the forward (its compute share as well)
  const rec = p.recompute === 'full' ? recFwd : p.recompute === 'selective' ? sc.recomputeSelective : 0;
  const layerMb = (sc.fwd + sc.bwd + rec) / L; // one average layer, fwd + bwd (+ recompute)
  const headMb = sc.headFwd + sc.headBwd;
  const totalMb = L * layerMb + headMb;
  const stageAvg = totalMb / pp;
  // layers are whole; the output head's work is balanced by giving its stage fewer layers
  const stageMax = Math.max(Math.min(stageLayers, L) * layerMb, stageAvg, pp === 1 ? totalMb : 0);
  const computeShare =
    (sc.fwdCompute + sc.bwdCompute + (p.recompute === 'full' ? rf * sc.fwdCompute : p.recompute === 'selective' ? sc.recomputeSelective : 0)) /
    (sc.fwd + sc.bwd + rec);
  const pipe = m * stageMax + ((pp - 1) / v) * stageAvg;

  // ---- pipeline point-to-point
  const ppStride = tp * cp * dp;
  let ppExposed = 0;
  let ppBytes = 0;
  if (pp > 1) {
    const actBytes = (p.microBatchSize * (seq / cp) * job.model.hidden * 2) / tp;
    const crosses = ppStride >= f.domain;
    const t = sendRecvSeconds(actBytes, crosses, f);
    ppBytes = 2 * m * v * actBytes;
    // interleaved schedules overlap their sends with compute; 1F1B waits on each one
    ppExposed = v > 1 ? 2 * (pp - 1) * t : 2 * (m + pp - 1) * t;
  }

  // ---- parameters on the busiest stage
  const denseStage = (sc.denseParams * Math.min(stageLayers, L)) / L;
  const expertStage = (sc.expertParams * Math.min(stageLayers, L)) / L;
  const firstExtra = sc.embeddingParams;
  const lastExtra = sc.headParams;
  // gradients are reduced (and ZeRO shards) over the ranks holding replicas: data x context for dense
  // parameters, with rank order tensor-context-data (Megatron's default 'tp-cp-ep-dp-pp') the data x context
  // ranks of a stage lie tp apart; expert parameters over the expert data-parallel group
  const dcp = denseReplicas(p);
  const edp = expertReplicas(job.devices, p);
  const dpPl = place(dcp, tp, f);
  const edpPl = place(edp, p.expert, f);
  const gradB = job.gradientBytes;
  // parameters are gathered in bf16, or in fp8 when fp8 is their primary format
  const paramB = p.precision === 'fp8' && job.stack.fp8PrimaryWeights ? 1 : 2;

  // ---- data-parallel traffic and its overlap
  const dParams = denseStage + (pp === 1 ? firstExtra + lastExtra : Math.max(firstExtra, lastExtra));
  const eParams = expertStage;
  // a group of one rank exchanges nothing
  const dOn = dcp > 1 ? 1 : 0;
  const eOn = edp > 1 && eParams > 0 ? 1 : 0;
  const bwdMb = (stageMax * (sc.bwd + rec)) / (sc.fwd + sc.bwd + rec || 1);
  const fwdMb = (stageMax * sc.fwd) / (sc.fwd + sc.bwd + rec || 1);
  let dpSeconds = 0;
  let dpExposed = 0;
  let dpBytes = 0;
  let dpSent = 0;
  if (dOn + eOn === 0) {
    // no rank shares parameters with another: no gradient reduction, no gathers
  } else if (p.zero === 3) {
    const ag = dOn * dParams * paramB;
    const rs = dOn * dParams * gradB;
    const eag = eOn * eParams * paramB;
    const ers = eOn * eParams * gradB;
    const tAg = allGatherSeconds(ag, dpPl, f) + allGatherSeconds(eag, edpPl, f) + 2 * stageLayers * f.launch;
    const tRs = allGatherSeconds(rs, dpPl, f) + allGatherSeconds(ers, edpPl, f) + stageLayers * f.launch;
    dpSeconds = m * (2 * tAg + tRs);
    dpBytes = m * (2 * (ag + eag) + rs + ers);
    // each micro-batch gathers the weights twice (forward, backward) and reduce-scatters the gradients once
    dpSent = m * (((dcp - 1) / dcp) * (2 * ag + rs) + ((edp - 1) / edp) * (2 * eag + ers));
    // each layer's weights are gathered just before it runs: the first layer's gather (forward and
    // backward) and the last layer's gradient reduce-scatter wait on nothing to hide behind
    const perLayer = 1 / Math.max(1, Math.min(stageLayers, L));
    const edge = (2 * tAg + tRs) * perLayer;
    dpExposed =
      m * (overlapped(tAg * (1 - perLayer), fwdMb, cal.overlapSlowdown) + overlapped((tAg + tRs) * (1 - perLayer), bwdMb, cal.overlapSlowdown) + edge);
  } else {
    const g = dOn * dParams * gradB;
    const eg = eOn * eParams * gradB;
    // gradients reduce bucket by bucket (Megatron DDP buckets of 40M fp32 elements) as the backward
    // produces them, parameters gather bucket by bucket before the forward needs them; the last
    // gradient bucket (the first layers, the embedding) is reduced only when the backward has ended,
    // and the first parameter bucket is needed before the forward can start: those two are exposed
    const nd = buckets(g);
    const ne = eg > 0 ? buckets(eg) : 0;
    let gradBucket: number;
    let eGradBucket = 0;
    let paramBucket = 0;
    let eParamBucket = 0;
    if (p.zero === 0) {
      gradBucket = allReduceSeconds(g / nd, dpPl, f, { inNetwork: false });
      if (ne) eGradBucket = allReduceSeconds(eg / ne, edpPl, f, { inNetwork: false });
      dpBytes = g + eg;
      // what each rank puts on the wire: 2(N-1)/N of the buffer for a ring, (N+1)/N with in-network reduction
      dpSent = allReduceBytesPerRank(g, dcp, f.scaleOutInNetwork && dpPl.nodes > 1) + allReduceBytesPerRank(eg, edp, f.scaleOutInNetwork && edpPl.nodes > 1);
    } else {
      const pg = dOn * dParams * paramB;
      const epg = eOn * eParams * paramB;
      gradBucket = reduceScatterSeconds(g / nd, dpPl, f);
      paramBucket = allGatherSeconds(pg / nd, dpPl, f);
      if (ne) {
        eGradBucket = reduceScatterSeconds(eg / ne, edpPl, f);
        eParamBucket = allGatherSeconds(epg / ne, edpPl, f);
      }
      dpBytes = g + eg + pg + epg;
      dpSent = ((dcp - 1) / dcp) * (g + pg) + ((edp - 1) / edp) * (eg + epg);
    }
    const tGrad = nd * gradBucket + ne * eGradBucket;
    const tParam = nd * paramBucket + ne * eParamBucket;
    dpSeconds = tGrad + tParam;
    dpExposed =
      overlapped(tGrad - gradBucket, bwdMb, cal.overlapSlowdown) +
      gradBucket +
      overlapped(Math.max(0, tParam - paramBucket), fwdMb, cal.overlapSlowdown) +
      paramBucket;
  }
  // frameworks that reduce gradients only after the whole backward (Megatron-LM 2021's local DDP) expose all of it
  if (!job.stack.dpOverlap) dpExposed = dpSeconds;

  // ---- optimizer step (memory-bound Adam over the local shard)
  const shardDiv = p.zero >= 1 ? dcp : 1;
  const eShardDiv = p.zero >= 1 ? edp : 1;
  const shard = dParams / shardDiv + eParams / eShardDiv;
  const optimizerSeconds = (shard * (24 + gradB + 2 + 4)) / (sc.device.bandwidth * cal.memFraction);

  // ---- activation offload: the offloaded layers' activations go to host memory during the forward
  // pass and come back during the backward, on the host link, overlapped with the stage's compute
  let offloadExposed = 0;
  const og = offloadedFraction(p, Math.min(stageLayers, L));
  if (og > 0) {
    const actPerLayer = (p.recompute === 'full' ? rf * sc.actFull + (1 - rf) * sc.actNone : p.recompute === 'selective' ? sc.actSelective : sc.actNone) / L;
    const t = (og * Math.min(stageLayers, L) * actPerLayer) / (job.accelerator.hostLinkBandwidth * cal.pcieFraction);
    offloadExposed = m * (Math.max(0, t - fwdMb) + Math.max(0, t - bwdMb));
  }

  const other = optimizerSeconds + cal.stepOverhead;
  const step = pipe + ppExposed + dpExposed + offloadExposed + other;

  // ---- memory on the busiest device
  deviceMemory(job, p, sc, m, out);

  const stageCompute = m * stageAvg * computeShare;
  out[F.step] = step;
  out[F.compute] = stageCompute;
  out[F.exposedComm] = m * stageAvg * (1 - computeShare) + ppExposed + dpExposed + offloadExposed;
  out[F.bubble] = pipe - m * stageAvg;
  out[F.imbalance] = m * (stageMax - stageAvg);
  out[F.other] = other;
  out[F.tokensPerSecond] = (job.globalBatchSize * seq) / step;
  const mbStage = Math.min(stageLayers, L) / L;
  out[F.tpBytes] = m * sc.tpBytes * mbStage * (p.recompute === 'full' ? 1.5 : 1);
  out[F.ppBytes] = ppBytes;
  out[F.dpBytes] = dpBytes;
  out[F.dpSentPerRank] = dpSent;
  out[F.epBytes] = m * sc.epBytes * mbStage;
  out[F.cpBytes] = m * sc.cpBytes * mbStage;
  // hardware FLOPs per device per step: 3x forward, plus recomputed forward work
  const recFlops = p.recompute === 'full' ? rf * sc.fwdFlops : p.recompute === 'selective' ? sc.attnFlops : 0;
  out[F.hwFlopsPerStep] = (m * (3 * sc.fwdFlops + recFlops)) / pp;
  out[F.dpSeconds] = dpSeconds;
  out[F.dpExposed] = dpExposed;
  out[F.ppExposed] = ppExposed;
  out[F.offloadExposed] = offloadExposed;
  out[F.layerExposed] = m * stageAvg * (1 - computeShare);
  out[F.microBatches] = m;
  out[F.optimizerSeconds] = optimizerSeconds;
  out[F.tpSeconds] = m * sc.tpSeconds * mbStage;
  out[F.epSeconds] = m * sc.epSeconds * mbStage;
  out[F.cpSeconds] = m * sc.cpSeconds * mbStage;
}
