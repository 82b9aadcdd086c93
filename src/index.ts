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
export { weightBytesPerElement, type WeightFormat, type KvFormat } from './serve/formats.js';
export type { ServeJob, ServeSplit, ServeRequest } from './serve/types.js';

// numeric formats and codecs (pure)
export {
  toFloat32,
  fromFloat32,
  f32ToBf16,
  bf16ToF32,
  f32ToF16,
  f16ToF32,
  f32ToE4m3,
  e4m3ToF32,
  f32ToE5m2,
  e5m2ToF32,
  DTYPE_BITS,
  type DType,
} from './quant/dtypes.js';
export {
  quantize4bit,
  quantize4bitBf16,
  quantize4bitInto,
  dequantize4bit,
  doubleQuantize,
  doubleQuantizeInto,
  doubleDequantize,
  quantStateJson,
  NF4_CODE,
  FP4_CODE,
} from './quant/bnb.js';
export { createDynamicMap } from './quant/dynamic-map.js';
export { TorchSumF32, torchMeanF32 } from './quant/torch-sum.js';
export { quantizeInt, dequantizeInt, packGptq, packCompressedTensors } from './quant/intq.js';
export { quantizeFp8, dequantizeFp8 } from './quant/fp8q.js';
export { quantizeKv, dequantizeKv, packKv } from './quant/kv.js';
export { encodeChunk16, decodeChunk16, entropyBound, boundFromCounts } from './quant/lossless.js';
export { xxh64 } from './quant/xxh64.js';
export { weightCodec, CODEC_IDS, type CodecId, type CodecParams } from './quant/weight-codecs.js';

// the format registry (pure): weight and KV-cache formats, exact stored bytes, hardware needs
export {
  weightFormat,
  storedBytes,
  bitsPerWeight,
  formatProblem as weightFormatProblem,
  computeMode as weightComputeMode,
  WEIGHT_FORMAT_IDS,
  type WeightFormat as RegistryWeightFormat,
  type WeightOptions,
  type StoredTensor,
  type HardwareCaps,
} from './formats/weights.js';
export { kvBytesPerElement as kvCacheBytesPerElement, kvCacheBytes, kvBytesPerToken, KV_FORMAT_IDS, type KvCacheFormat, type KvSide } from './formats/kv.js';

// checkpoint engine (file I/O)
export { SafetensorsFile, Checkpoint, writeSafetensors, readHeader, MAX_HEADER_BYTES, type TensorInfo } from './checkpoint/safetensors.js';
export { CheckpointError, SafetensorsError } from './checkpoint/errors.js';
export { compressFile, decompressFile, type CompressionReport } from './checkpoint/container.js';
export { quantizeCheckpoint, planQuantization, type QuantizeReport, type QuantizeOptions } from './checkpoint/convert.js';
export { mixedPrecision, allocate, type MixedReport } from './checkpoint/mixed.js';
export { inspectCheckpoint } from './checkpoint/inspect.js';

// fleet
export { sizeFabric, maxAcceleratorsByTiers, type FabricInput, type FabricDesign } from './fleet/fabric.js';
export { clusterPower } from './fleet/power.js';
export { forecastInterruptions, llama3FailureModel, sparePlan } from './fleet/reliability.js';
export { goodputClosedForm, goodputMonteCarlo, optimalInterval } from './fleet/goodput.js';
export { planCluster, planGoodput, type ClusterReport, type GoodputReport } from './fleet/plan.js';
export { scaleUpSweep, weakScaling } from './fleet/sweep.js';

// validation
export { validateTraining, validateInference, validateCorpus, type ValidationSummary } from './validate/validate.js';

// export to frameworks
export { exportPlan, exportVersions, defaultVersion, TARGET_INFO } from './export/export.js';
export { exportScenario } from './export/run.js';
export { loadExportData } from './export/data.js';
export { EXPORT_TARGETS, type ExportTarget, type ExportResult, type ExportInput } from './export/types.js';

// the HTTP API
export { createApp, type AppOptions } from './http/app.js';
export { startServer } from './http/server.js';
export { PlanPool, type Runner, type Outcome } from './http/pool.js';
export { defaultLimits, type HttpLimits } from './http/limits.js';

// charts and reports (shared by the web UI and the CLI's --svg/--html)
export { trainingCharts } from './charts/training.js';
export { servingCharts, servingParetoChart, servingRateChart } from './charts/serving.js';
export { goodputIntervalChart, interruptionsChart, sweepChart, clusterChart } from './charts/fleet.js';
export { validationChart, fitRowsOf } from './charts/validation.js';
export { pipelineSchedule } from './charts/schedule.js';
export { deriveTraining, deriveServing, type Derivation } from './charts/derive.js';
export { reportHtml, type ReportInput } from './charts/report-html.js';
export { trainingReport, servingReport } from './charts/reports.js';
export { renderSvg } from './charts/svg.js';
export { renderSvgWith } from './charts/svg-with.js';
export { encodeScenario, decodeScenario } from './charts/share.js';
export type { ChartSpec } from './charts/types.js';
