import { describe, expect, it } from 'vitest';
import { TokenizerError, detectPreTokenizer, ggufTokenizerMetadata } from './hf-tokenizer.js';

const bpe = (extra: Record<string, unknown> = {}) => ({
  added_tokens: [
    { id: 3, content: '<|bos|>', special: true, normalized: false },
    { id: 4, content: 'hello▁world', special: false, normalized: true },
    { id: 5, content: '<|im_start|>', special: false, normalized: false },
  ],
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: [['a', 'b']], ...extra },
});

function value(md: ReturnType<typeof ggufTokenizerMetadata>['metadata'], key: string): unknown {
  const p = md.find((m) => m.key === key);
  if (!p) return undefined;
  return p.value.type === 'array' ? p.value.values : p.value.value;
}

describe('ggufTokenizerMetadata', () => {
  it('builds tokens, token types, merges and special ids the way llama.cpp converter does', () => {
    const t = ggufTokenizerMetadata({
      tokenizer: bpe(),
      tokenizerConfig: { bos_token: '<|bos|>', add_bos_token: true },
      config: { vocab_size: 8, eos_token_id: 3 },
    });
    expect(value(t.metadata, 'tokenizer.ggml.model')).toBe('gpt2');
    expect(value(t.metadata, 'tokenizer.ggml.pre')).toBe('gpt-2');
    expect(value(t.metadata, 'tokenizer.ggml.tokens')).toEqual(['a', 'b', 'ab', '<|bos|>', 'hello world', '<|im_start|>', '[PAD6]', '[PAD7]']);
    // normal, control (special), user-defined (added, not special; '▁' pre-normalised to ' '), control (looks special), unused
    expect(value(t.metadata, 'tokenizer.ggml.token_type')).toEqual([1, 1, 1, 3, 4, 3, 5, 5]);
    expect(value(t.metadata, 'tokenizer.ggml.merges')).toEqual(['a b']);
    expect(value(t.metadata, 'tokenizer.ggml.bos_token_id')).toBe(3);
    expect(value(t.metadata, 'tokenizer.ggml.eos_token_id')).toBe(3); // from config.json when tokenizer_config has none
    expect(value(t.metadata, 'tokenizer.ggml.add_bos_token')).toBe(true);
    expect(t.vocabSize).toBe(8);
  });

  it('encodes spaces inside pair-form merges as U+0120, as gguf-py does', () => {
    const t = ggufTokenizerMetadata({ tokenizer: bpe({ merges: [['a b', 'c']] }), config: {} });
    expect(value(t.metadata, 'tokenizer.ggml.merges')).toEqual(['aĠb c']);
  });

  it('refuses what it cannot write faithfully, naming the field', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as TokenizerError;
      }
      throw new Error('no error');
    };
    expect(err(() => ggufTokenizerMetadata({ tokenizer: bpe({ byte_fallback: true }), config: {} }))).toMatchObject({
      code: 'unsupported_tokenizer',
      field: 'model.byte_fallback',
    });
    expect(err(() => ggufTokenizerMetadata({ tokenizer: { ...bpe(), model: { type: 'Unigram', vocab: [] } }, config: {} }))).toMatchObject({
      code: 'unsupported_tokenizer',
      field: 'model.type',
    });
    expect(err(() => ggufTokenizerMetadata({ tokenizer: bpe({ merges: [] }), config: {} }))).toMatchObject({ code: 'bad_tokenizer', field: 'model.merges' });
    expect(err(() => ggufTokenizerMetadata({ tokenizer: bpe(), config: { vocab_size: 4 } }))).toMatchObject({ code: 'bad_tokenizer' });
    const odd = {
      ...bpe(),
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: '\\w+' }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', use_regex: false },
        ],
      },
    };
    expect(err(() => detectPreTokenizer(odd))).toMatchObject({ code: 'unknown_pre_tokenizer', field: 'pre_tokenizer' });
    expect(value(ggufTokenizerMetadata({ tokenizer: odd, config: {}, pre: 'llama-bpe' }).metadata, 'tokenizer.ggml.pre')).toBe('llama-bpe');
  });
});
