import { describe, expect, it } from 'vitest';
import { closest } from './suggest.js';

const MODELS = ['llama-2-7b', 'llama-2-13b', 'llama-2-70b', 'llama-65b', 'llama-3.1-8b', 'llama-3.1-70b', 'llama-3.1-405b'];

describe('did-you-mean', () => {
  it('suggests the nearest key by edit distance', () => {
    expect(closest('precison', ['precision', 'parallelism', 'tokens'])).toBe('precision');
    expect(closest('tensr', ['tensor', 'pipeline', 'expert'])).toBe('tensor');
  });
  it('breaks a tie by the longest shared prefix (a version the user half-typed)', () => {
    // both at distance 2; the user meant Llama 3, not Llama 2
    expect(closest('llama-3-8b', MODELS)).toBe('llama-3.1-8b');
  });
  it('suggests nothing for a word unlike every candidate', () => {
    expect(closest('zzzzzz', ['precision', 'tokens'])).toBeNull();
  });
});
