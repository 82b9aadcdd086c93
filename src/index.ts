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
export type { ServeJob, ServeSplit } from './serve/types.js';
export { cpuSocket } from './hardware/cpu.js';
export { validateInference } from './validate/inference.js';

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
