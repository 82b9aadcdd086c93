/**
 * GGUF output (llama.cpp, Ollama, LM Studio): ggml's reference quantizers reproduced byte for
 * byte, a streamed atomic GGUF v3 writer, and the Hugging Face -> llama.cpp conventions for the
 * llama, qwen2, qwen3 and qwen3moe architectures.
 */
export { GGML_TYPES, GGML_TYPE_INFO, fitsRow, isGgmlType, parseGgmlType, rowBytes, tensorBytes, type GgmlType, type GgmlTypeInfo } from './ggml-types.js';
export { createCodec, dequantizeRows, quantizeRows, type GgmlCodec, type KernelChoice } from './codecs.js';
export { GgufMetadataError, kv, type GgufKv, type GgufScalarType, type GgufValue } from './gguf-metadata.js';
export {
  GGUF_DEFAULT_ALIGNMENT,
  GgufWriteError,
  ggufFileBytes,
  ggufHeader,
  writeGgufFile,
  type GgufTensorRecord,
  type GgufTensorSpec,
  type GgufWriteResult,
  type WriteGgufOptions,
} from './gguf-writer.js';
export { memorySource, rowsOf, type SourceTensor, type TensorSource } from './tensor-source.js';
export { openSafetensorsSource } from './safetensors-source.js';
export {
  GgufModelError,
  HF_ARCHITECTURES,
  ggufArchOf,
  llama3RopeFactors,
  planGgufModel,
  type GgufArch,
  type GgufModelIssueCode,
  type GgufModelPlan,
  type PlannedTensor,
  type RowRecipe,
} from './hf-model.js';
export { TokenizerError, detectPreTokenizer, ggufTokenizerMetadata, type GgufTokenizer, type HfTokenizerFiles } from './hf-tokenizer.js';
export { decideTypes, fallbackType, guessFileType, type GgufTypeChoice, type TensorTypeDecision } from './type-choice.js';
export { permuteWithinHeads, unpermuteWithinHeads } from './plan-rows.js';
export {
  convertHfFolderToGguf,
  ggufLayout,
  readHfTokenizer,
  writeGguf,
  type ConvertOptions,
  type GgufLayout,
  type GgufModelOptions,
  type GgufTensorReport,
  type GgufWriteReport,
} from './write-gguf.js';
