/** Sinan's library entry point: a short, hand-written list of what is public. */

// the entry points: scenario in, Result out
export { train, serve, serveCatalog, cluster, goodput, type PlanOptions } from './api.js';
export { loadContext, defaultContext } from './context/load.js';
export type { PlanContext, FileAccess } from './context/types.js';

// errors and warnings as data
export { IssueError, mkIssue, formatPath, type Issue, type IssueData, type IssueCode, type Path, type Result } from './core/issues.js';
export type { Warning, WarningCode } from './core/warnings.js';

// scenarios
export { readScenario, parseText, SCENARIO_LIMITS, type RawScenario } from './scenario/load.js';
export { normalizeTraining, type NormalizedTraining } from './scenario/training.js';
export { normalizeInference, type NormalizedInference } from './scenario/inference.js';
export { normalizeCluster, normalizeGoodput } from './scenario/fleet.js';
export { SCENARIO_SCHEMAS } from './scenario/schema.js';

// models
export { modelFromHfConfig } from './model/hf.js';
export { buildModelRegistry, type ModelRegistry } from './model/registry.js';
export { countParameters, chinchillaTokens } from './model/params.js';
export { layerWeights, type WeightMatrix, type LayerWeights } from './model/weights.js';
export type { ModelSpec, ParameterCounts, LayerSpec } from './model/types.js';

// hardware and calibration
export { buildCatalog, catalogListing, type HardwareCatalog } from './hardware/catalog.js';
export type { Accelerator } from './hardware/types.js';
export type { CpuSocket } from './hardware/cpu.js';
export { parseCalibration, withOverrides, efficiencyProfileFor, type Calibration, type EfficiencyProfile } from './cost/calibration.js';

// the operator graph and its pricing
export { buildLayer, keysAttended, kvBytesPerTokenLayer } from './graph/layer.js';
export { buildHead } from './graph/head.js';
export { modelFlopsPerToken, layerClasses } from './graph/flops.js';
export type { Split, Load, Segment, Numerics, Gemm, LayerGraph } from './graph/types.js';
export { priceOps, priceComms } from './cost/price.js';

// training
export { planTraining, type TrainingResult, type TrainRequest } from './train/plan.js';
export { evaluatePlan, type TrainReport } from './train/report.js';
export { searchPlans, type SearchResult } from './train/search.js';
export { TRAIN_RULES } from './train/rules.js';
export { modelStateBytes, minDevicesForModelStates } from './train/memory.js';
export type { TrainJob, TrainPlan, PlanConstraints } from './train/types.js';

// serving
export { planServe, candidateSplits, type ServePlanResult } from './serve/plan.js';
export { searchDeployments, type DeploymentSearch } from './serve/slo.js';
export { evaluateServe, type ServeReport } from './serve/report.js';
export { engineFor } from './serve/offload.js';
export { SERVE_RULES } from './serve/rules.js';
export { WEIGHTS, WEIGHT_FORMATS, KV_FORMATS, kvBytesPerElement, type WeightFormat, type KvFormat } from './serve/formats.js';
export type { ServeJob, ServeSplit, ServeRequest } from './serve/types.js';

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

// validation
export { validateTraining } from './validate/training.js';
export { validateInference } from './validate/inference.js';
