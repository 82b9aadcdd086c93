import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quoted } from '../checkpoint/errors.js';
import { escapeControls } from './terminal-text.js';

// every character a terminal may act on: C0, DEL, C1, bidi embeddings/overrides and isolates
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const unsafeChars = [
  ...Array(0x20).keys(),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
].map((c) => String.fromCharCode(c));

/** A character of any code unit (lone surrogates included), often an unsafe one. */
const anyChar = fc.oneof(
  fc.constantFrom(...unsafeChars),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('é', '司', '\\'),
);

describe('escapeControls', () => {
  it('writes each terminal control character as \\uXXXX', () => {
    expect(escapeControls('a\u001b[31mred')).toBe('a\\u001b[31mred');
    expect(escapeControls('\u001b]0;title\u0007')).toBe('\\u001b]0;title\\u0007');
    expect(escapeControls('nul\u0000, del\u007f, csi\u009b, rlo\u202e, pdi\u2069')).toBe('nul\\u0000, del\\u007f, csi\\u009b, rlo\\u202e, pdi\\u2069');
    for (const c of unsafeChars) expect(escapeControls(`x${c}y`)).toMatch(/^x\\u[0-9a-f]{4}y$/);
  });

  it('leaves no control character, and leaves text without one unchanged (so escaping twice is escaping once)', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyChar }), (s) => {
        const e = escapeControls(s);
        expect(UNSAFE.test(e)).toBe(false);
        expect(escapeControls(e)).toBe(e);
        if (!UNSAFE.test(s)) expect(e).toBe(s);
      }),
    );
  });
});

describe('quoted (names in checkpoint error messages)', () => {
  it('is a JSON string literal that holds no control character and parses back to the name', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyChar, maxLength: 100 }), (s) => {
        const q = quoted(s);
        expect(UNSAFE.test(q)).toBe(false);
        expect(JSON.parse(q)).toBe(s);
      }),
    );
    expect(quoted('w\u202e\u009b')).toBe('"w\\u202e\\u009b"');
  });
});
