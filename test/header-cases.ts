/**
 * Safetensors headers and whether the reference reader (huggingface/safetensors 0.8, through its
 * Python binding) accepts them: the unit tests hold Sinan's reader to this table, the interop
 * test re-checks the table against safetensors itself.
 */
const T = '"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}';
const two = new Uint8Array([1, 2]);
/** [what, header text (one byte per character), data, accepted by the reference reader] */
export const HEADER_CASES: [string, string, Uint8Array, boolean][] = [
  ['a plain header', `{${T}}`, two, true],
  ['a repeated tensor name (the last definition wins)', `{${T},${T}}`, two, true],
  ['a repeated key inside __metadata__', `{"__metadata__":{"x":"1","x":"2"},${T}}`, two, true],
  ['a repeated __metadata__', `{"__metadata__":{"x":"1"},"__metadata__":{"y":"2"},${T}}`, two, false],
  ['a byte-order mark', `\xef\xbb\xbf{${T}}`, two, false],
  ['a shape written 2.0', '{"a":{"dtype":"U8","shape":[2.0],"data_offsets":[0,2]}}', two, false],
  ['a shape written -0', '{"a":{"dtype":"U8","shape":[2,-0],"data_offsets":[0,0]}}', new Uint8Array(0), false],
  ['a shape written 2e0', '{"a":{"dtype":"U8","shape":[2e0],"data_offsets":[0,2]}}', two, false],
  ['an offset written 2.0', '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2.0]}}', two, false],
  ['whitespace before the object', ` {${T}}`, two, true],
  ['spaces after the object (the writer pads with them)', `{${T}}   `, two, true],
  ['NUL bytes after the object', `{${T}}\x00\x00`, two, false],
  ['a JSON array', '[]', new Uint8Array(0), false],
  ['an unknown field in a tensor (ignored)', '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2],"x":[1,{"y":null}]}}', two, true],
  ['a repeated field in a tensor', '{"a":{"dtype":"U8","dtype":"U8","shape":[2],"data_offsets":[0,2]}}', two, false],
  ['a number in __metadata__', `{"__metadata__":{"x":1},${T}}`, two, false],
  ['__metadata__ null', `{"__metadata__":null,${T}}`, two, true],
  ['an empty header', '{}', new Uint8Array(0), true],
  ['a lowercase dtype', '{"a":{"dtype":"u8","shape":[2],"data_offsets":[0,2]}}', two, false],
  ['newer dtypes (F8_E8M0, U16, C64)', '{"a":{"dtype":"F8_E8M0","shape":[2],"data_offsets":[0,2]}}', two, true],
  ['4-bit F4 values filling bytes', '{"a":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}', two, true],
  ['a shape above 2^64', '{"a":{"dtype":"U8","shape":[18446744073709551617],"data_offsets":[0,2]}}', two, false],
  ['an escaped name', '{"a\\u0062":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', two, true],
  ['a lone surrogate escape', '{"a\\ud800":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', two, false],
  ['a nested __metadata__ value', '{"__metadata__":{"x":{"y":"z"}}}', new Uint8Array(0), false],
];
