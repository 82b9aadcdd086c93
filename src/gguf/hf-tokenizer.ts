import { kv, type GgufKv } from './gguf-metadata.js';

/**
 * A Hugging Face byte-level BPE tokenizer (tokenizer.json) as GGUF metadata, the way llama.cpp's
 * converter writes it (convert_hf_to_gguf.py `_set_vocab_gpt2` / `get_vocab_base`, gguf-py
 * vocab.py `SpecialVocab`): tokenizer.ggml.model "gpt2", .pre (the pre-tokenizer llama.cpp
 * re-implements), .tokens (vocab_size entries, `[PAD{i}]` for unused ids), .token_type (1 normal,
 * 3 control, 4 user-defined, 5 unused), .merges (required by llama.cpp for BPE), the special
 * token ids, add_bos/add_eos flags and the chat template.
 *
 * The converter identifies the pre-tokenizer by hashing the tokens the real tokenizer produces for
 * a fixed text; Sinan cannot run the tokenizer, so it recognises the pre-tokenizer structure in
 * tokenizer.json instead (the split regex llama.cpp keeps, in llama-vocab.cpp, as "original regex
 * from tokenizer.json"), and refuses one it does not know unless the caller names it.
 */

export type TokenizerIssueCode = 'unsupported_tokenizer' | 'bad_tokenizer' | 'unknown_pre_tokenizer';

export class TokenizerError extends Error {
  constructor(
    readonly code: TokenizerIssueCode,
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'TokenizerError';
  }
}

type Json = Record<string, unknown>;

/** Split regexes of known pre-tokenizers -> llama.cpp's tokenizer.ggml.pre name. */
const KNOWN_SPLITS: Readonly<Record<string, string>> = {
  // Llama 3 (LLAMA_VOCAB_PRE_TYPE_LLAMA3)
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'llama-bpe',
  // Qwen2, Qwen2.5, Qwen3 (LLAMA_VOCAB_PRE_TYPE_QWEN2)
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'qwen2',
};

const TOKEN_NORMAL = 1;
const TOKEN_CONTROL = 3;
const TOKEN_USER_DEFINED = 4;
const TOKEN_UNUSED = 5;

/** The pre-tokenizer name llama.cpp needs for this tokenizer.json, or an error naming `pre_tokenizer`. */
export function detectPreTokenizer(tokenizer: Json): string {
  const pre = tokenizer.pre_tokenizer as Json | null | undefined;
  if (pre && pre.type === 'ByteLevel' && pre.use_regex !== false) return 'gpt-2';
  if (pre && pre.type === 'Sequence' && Array.isArray(pre.pretokenizers)) {
    const steps = pre.pretokenizers as Json[];
    const split = steps.find((s) => s.type === 'Split');
    const byteLevel = steps.find((s) => s.type === 'ByteLevel');
    const regex = (split?.pattern as Json | undefined)?.Regex;
    if (steps.length === 2 && typeof regex === 'string' && byteLevel && byteLevel.use_regex === false && split?.behavior === 'Isolated' && !split.invert) {
      const name = KNOWN_SPLITS[regex];
      if (name) return name;
    }
  }
  throw new TokenizerError(
    'unknown_pre_tokenizer',
    `tokenizer.json: pre_tokenizer ${JSON.stringify(pre)?.slice(0, 200)} is not one Sinan recognises (known: Llama 3, Qwen2/3, GPT-2 byte-level); give the llama.cpp name (tokenizer.ggml.pre) explicitly`,
    'pre_tokenizer',
  );
}

/** convert_hf_to_gguf.py `does_token_look_special`. */
function looksSpecial(t: string): boolean {
  return (
    t === '<pad>' ||
    t === '<mask>' ||
    t === '<2mass>' ||
    t === '[@BOS@]' ||
    (t.startsWith('<|') && t.endsWith('|>')) ||
    (t.startsWith('<｜') && t.endsWith('｜>')) ||
    (t.startsWith('<unused') && t.endsWith('>'))
  );
}

export interface HfTokenizerFiles {
  /** tokenizer.json, parsed. */
  tokenizer: Json;
  /** tokenizer_config.json, parsed, if present. */
  tokenizerConfig?: Json | null;
  /** config.json (for vocab_size and *_token_id). */
  config: Json;
  /** chat_template.jinja, if present (used when tokenizer_config has no chat_template). */
  chatTemplate?: string | null;
  /** Overrides the detected tokenizer.ggml.pre. */
  pre?: string;
}

export interface GgufTokenizer {
  metadata: GgufKv[];
  vocabSize: number;
  warnings: string[];
}

const SPECIAL_TYPES = ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'] as const;
/** gguf-py GGUFWriter handlers (there is none for cls, which SpecialVocab skips). */
const SPECIAL_KEYS: Partial<Record<(typeof SPECIAL_TYPES)[number], string>> = {
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  sep: 'tokenizer.ggml.seperator_token_id',
  pad: 'tokenizer.ggml.padding_token_id',
  mask: 'tokenizer.ggml.mask_token_id',
};

function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

/** Builds the tokenizer.* metadata. Errors name the tokenizer.json field. */
export function ggufTokenizerMetadata(files: HfTokenizerFiles): GgufTokenizer {
  const { tokenizer, config } = files;
  const tc = files.tokenizerConfig ?? null;
  const warnings: string[] = [];
  const model = tokenizer.model as Json | undefined;
  if (!model || typeof model !== 'object') throw new TokenizerError('bad_tokenizer', 'tokenizer.json: model is missing', 'model');
  if (model.type !== 'BPE')
    throw new TokenizerError(
      'unsupported_tokenizer',
      `tokenizer.json: model.type ${JSON.stringify(model.type)} is not supported (only byte-level BPE, tokenizer.ggml.model "gpt2")`,
      'model.type',
    );
  if (model.byte_fallback === true)
    throw new TokenizerError(
      'unsupported_tokenizer',
      'tokenizer.json: a SentencePiece-style BPE (byte_fallback, Llama 2 / Mistral 7B) is not supported yet; only byte-level BPE',
      'model.byte_fallback',
    );
  const vocab = model.vocab as Record<string, unknown> | undefined;
  if (!vocab || typeof vocab !== 'object') throw new TokenizerError('bad_tokenizer', 'tokenizer.json: model.vocab is missing', 'model.vocab');
  const added = Array.isArray(tokenizer.added_tokens) ? (tokenizer.added_tokens as Json[]) : [];
  const pre = files.pre ?? detectPreTokenizer(tokenizer);

  const reverse = new Map<number, string>();
  for (const [tok, id] of Object.entries(vocab)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      throw new TokenizerError('bad_tokenizer', `tokenizer.json: model.vocab[${JSON.stringify(tok)}] is not a token id`, 'model.vocab');
    reverse.set(id, tok);
  }
  const addedById = new Map<number, Json>();
  for (const a of added) {
    if (typeof a.id !== 'number' || typeof a.content !== 'string')
      throw new TokenizerError('bad_tokenizer', 'tokenizer.json: an added_tokens entry lacks id or content', 'added_tokens');
    reverse.set(a.id, a.content);
    addedById.set(a.id, a);
  }
  let maxId = -1;
  for (const id of reverse.keys()) if (id > maxId) maxId = id;
  const cv = config.vocab_size;
  const vocabSize = typeof cv === 'number' && Number.isInteger(cv) && cv > 0 ? cv : maxId + 1;
  if (maxId >= vocabSize)
    throw new TokenizerError('bad_tokenizer', `tokenizer.json has token id ${maxId}, beyond config.json vocab_size ${vocabSize}`, 'model.vocab');

  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const tok = reverse.get(i);
    if (tok === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(TOKEN_UNUSED);
      continue;
    }
    const a = addedById.get(i);
    if (a) {
      if (a.normalized === false && a.special !== true && !looksSpecial(tok))
        warnings.push(
          `added token ${JSON.stringify(tok)} is not normalized; llama.cpp's converter round-trips it through the tokenizer, Sinan keeps it as written`,
        );
      if (a.special === true || looksSpecial(tok)) {
        tokens.push(tok);
        types.push(TOKEN_CONTROL);
      } else {
        tokens.push(tok.replaceAll('\u2581', ' '));
        types.push(TOKEN_USER_DEFINED);
      }
    } else {
      tokens.push(tok);
      types.push(TOKEN_NORMAL);
    }
  }

  const rawMerges = model.merges;
  if (!Array.isArray(rawMerges) || !rawMerges.length)
    throw new TokenizerError(
      'bad_tokenizer',
      'tokenizer.json: model.merges is missing or empty; llama.cpp cannot load a BPE vocabulary without merges',
      'model.merges',
    );
  const merges = rawMerges.map((m, i) => {
    if (typeof m === 'string') return m;
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')
      return `${m[0].replaceAll(' ', '\u0120')} ${m[1].replaceAll(' ', '\u0120')}`; // spaces encoded as U+0120, as gguf-py does
    throw new TokenizerError('bad_tokenizer', `tokenizer.json: model.merges[${i}] is neither "a b" nor ["a", "b"]`, 'model.merges');
  });

  // special tokens (gguf-py SpecialVocab: tokenizer.json + tokenizer_config.json first, then config.json)
  const ids = new Map<string, number>();
  const addFlags = new Map<string, boolean>();
  const setId = (typ: string, id: unknown) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || ids.has(typ)) return;
    if (id < 0) throw new TokenizerError('bad_tokenizer', `special token ${typ} has id ${id}`, `${typ}_token`);
    if (id >= vocabSize) {
      warnings.push(`special token ${typ} id ${id} is beyond the vocabulary; skipped`);
      return;
    }
    ids.set(typ, id);
  };
  const bosContent = tokenContent(tc?.bos_token) ?? tokenContent(tc?.cls_token);
  const eosContent = tokenContent(tc?.eos_token) ?? tokenContent(tc?.sep_token);
  const post = tokenizer.post_processor as Json | null | undefined;
  const processors = post ? (Array.isArray(post.processors) ? (post.processors as Json[]) : [post]) : [];
  for (const p of processors) {
    if (p.type !== 'TemplateProcessing' || !Array.isArray(p.single)) continue;
    const single = p.single as Json[];
    if (single.length < 2) continue;
    const first = (single[0]!.SpecialToken as Json | undefined)?.id;
    const last = (single[single.length - 1]!.SpecialToken as Json | undefined)?.id;
    if (typeof first === 'string') addFlags.set('bos', first === bosContent);
    if (typeof last === 'string') {
      addFlags.set('eos', last === eosContent);
      if (last !== eosContent) warnings.push(`tokenizer.json appends ${JSON.stringify(last)}, which is not the EOS token; not reproduced`);
    }
  }
  if (tc) {
    for (const typ of SPECIAL_TYPES) {
      const flag = tc[`add_${typ}_token`];
      if (typeof flag === 'boolean') addFlags.set(typ, flag);
      const content = tokenContent(tc[`${typ}_token`]);
      if (content === undefined) continue;
      const hit = added.find((a) => a.content === content);
      if (hit) setId(typ, hit.id);
    }
  }
  for (const typ of SPECIAL_TYPES) setId(typ, config[`${typ}_token_id`]);

  const md: GgufKv[] = [
    kv.str('tokenizer.ggml.model', 'gpt2'),
    kv.str('tokenizer.ggml.pre', pre),
    kv.arr('tokenizer.ggml.tokens', 'string', tokens),
    kv.arr('tokenizer.ggml.token_type', 'int32', types),
    kv.arr('tokenizer.ggml.merges', 'string', merges),
  ];
  for (const [typ, id] of ids) {
    const key = SPECIAL_KEYS[typ as keyof typeof SPECIAL_KEYS];
    if (key) md.push(kv.u32(key, id));
  }
  for (const [typ, flag] of addFlags) if (typ === 'bos' || typ === 'eos' || typ === 'sep') md.push(kv.bool(`tokenizer.ggml.add_${typ}_token`, flag));
  const template = typeof tc?.chat_template === 'string' ? tc.chat_template : (files.chatTemplate ?? null);
  if (template !== null) md.push(kv.str('tokenizer.chat_template', template));
  return { metadata: md, vocabSize, warnings };
}
