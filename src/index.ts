/** Sinan's library entry point: a short, hand-written list of what is public. */

// scenarios and issues
export { readScenario, parseText, type RawScenario } from './scenario/load.js';
export { normalizeTraining, type NormalizedTraining } from './scenario/training.js';
export { ScenarioError, type Issue, type IssueCode } from './util/issues.js';

// models
export { modelFromHfConfig } from './model/hf.js';
export { builtinModel, builtinModelIds, resolveModel } from './model/registry.js';
export { countParameters, chinchillaTokens } from './model/params.js';
export type { ModelSpec, ParameterCounts } from './model/types.js';

// hardware
export { accelerator, accelerators, catalogListing } from './hardware/catalog.js';
export type { Accelerator } from './hardware/types.js';

// training
export { planTraining, type TrainingResult } from './train/plan-training.js';
export { evaluatePlan, type TrainReport } from './train/evaluate.js';
export { searchPlans, type SearchResult } from './train/search.js';
export { planProblem } from './train/plan.js';
export { modelStateBytes, minDevicesForModelStates } from './train/memory.js';
export type { TrainJob, TrainPlan, PlanConstraints } from './train/types.js';
export { modelFlopsPerToken } from './graph/layer.js';

// serving
export { normalizeInference, type NormalizedInference } from './scenario/inference.js';
export { planServe, searchDeployments, type ServePlanResult, type DeploymentSearch } from './serve/search.js';
export { evaluateServe, engineFor, type ServeReport } from './serve/plan.js';
export { WEIGHTS, WEIGHT_FORMATS, KV_FORMATS, kvBytesPerElement, type WeightFormat, type KvFormat } from './serve/formats.js';
export type { EngineProfile, ServeJob, ServeSplit } from './serve/types.js';
export { cpuSocket } from './hardware/cpu.js';
export { validateInference } from './validate/inference.js';

// checkpoint engine
export { SafetensorsFile, Checkpoint, writeSafetensors, readHeader, SafetensorsError, type TensorInfo } from './quant/safetensors.js';
export { toFloat32, fromFloat32, f32ToBf16, bf16ToF32, f32ToF16, f16ToF32, f32ToE4m3, e4m3ToF32, f32ToE5m2, e5m2ToF32, type DType } from './quant/dtypes.js';
export { quantize4bit, quantize4bitBf16, dequantize4bit, doubleQuantize, doubleDequantize, NF4_CODE, FP4_CODE } from './quant/bnb.js';
export { quantizeInt, dequantizeInt, packGptq } from './quant/intq.js';
export { quantizeFp8, dequantizeFp8 } from './quant/fp8q.js';
export { quantizeKv, dequantizeKv } from './quant/kv.js';
export { compress16, decompress16, entropyBound, boundFromCounts } from './quant/lossless.js';
export { compressFile, decompressFile } from './quant/container.js';
export { quantizeCheckpoint, type QuantizeReport } from './quant/convert.js';
export { quantizeParallel } from './quant/parallel.js';
export { mixedPrecision, allocate } from './quant/mixed.js';
export { inspectCheckpoint } from './quant/inspect.js';

// fleet
export { sizeFabric, maxAcceleratorsByTiers, type FabricInput, type FabricDesign } from './fleet/fabric.js';
export { clusterPower } from './fleet/power.js';
export { forecastInterruptions, llama3FailureModel, sparePlan } from './fleet/reliability.js';
export { goodputClosedForm, goodputMonteCarlo, optimalInterval } from './fleet/goodput.js';
export { planCluster, planGoodput, type ClusterReport, type GoodputReport } from './fleet/plan.js';
export { scaleUpSweep, weakScaling } from './fleet/sweep.js';
export { normalizeCluster, normalizeGoodput } from './scenario/fleet.js';

// validation
export { validateTraining } from './validate/training.js';
