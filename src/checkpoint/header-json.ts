import { DTYPE_BITS, type DType } from '../quant/dtypes.js';

/**
 * A strict parser for the safetensors JSON header that accepts exactly what the reference
 * reader accepts (huggingface/safetensors: serde_json into `HashMetadata`, a map of
 * `TensorInfo { dtype, shape: Vec<usize>, data_offsets: (usize, usize) }` plus an optional
 * `__metadata__: HashMap<String, String>`), checked against safetensors 0.8:
 *
 * - JSON text only (no byte-order mark, no trailing characters but whitespace); strings with
 *   valid escapes and no lone surrogates or raw control characters; nesting at most 128 deep;
 * - shapes and offsets are unsigned integers written as integers: `64.0`, `6e1` and `-0` are
 *   floating point to serde and rejected, as are negative numbers; Sinan also rejects values
 *   above 2^53 - 1, the largest it handles exactly;
 * - a repeated tensor name keeps the last definition (serde's map semantics); a repeated
 *   `__metadata__` or a repeated field of one tensor is an error; unknown tensor fields are
 *   ignored; `__metadata__` may be null; its values must be strings (repeated keys: last wins);
 * - dtype names are the reference's, case-sensitive.
 *
 * Errors say where (character offset) and what was expected, never quoting the text.
 */

export class HeaderSyntaxError extends Error {}

export interface HeaderEntry {
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export interface ParsedHeader {
  /** Tensor name -> description, in first-appearance order (last definition wins). */
  tensors: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
}

const MAX_DEPTH = 128;

export function parseHeaderJson(text: string): ParsedHeader {
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new HeaderSyntaxError(`invalid JSON at character ${i}: ${what}`);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const expect = (ch: string) => {
    if (text[i] !== ch) fail(`expected '${ch}'`);
    i++;
  };
  const hex4 = (): number => {
    if (i + 4 > n) fail('unexpected end of a \\u escape');
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = text.charCodeAt(i++);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) fail('invalid \\u escape');
      v = v * 16 + d;
    }
    return v;
  };
  const str = (): string => {
    expect('"');
    let out = '';
    let run = i;
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(run, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in a string');
      if (c >= 0xd800 && c <= 0xdfff) {
        // raw surrogates only arrive as valid pairs from a UTF-8 decode; check anyway
        if (c > 0xdbff || i + 1 >= n || text.charCodeAt(i + 1) < 0xdc00 || text.charCodeAt(i + 1) > 0xdfff) fail('lone surrogate in a string');
        i += 2;
        continue;
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(run, i);
      i++;
      const e = text[i++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const v = hex4();
          if (v >= 0xdc00 && v <= 0xdfff) fail('lone trailing surrogate in a \\u escape');
          if (v >= 0xd800 && v <= 0xdbff) {
            if (text[i] !== '\\' || text[i + 1] !== 'u') fail('lone leading surrogate in a \\u escape');
            i += 2;
            const w = hex4();
            if (w < 0xdc00 || w > 0xdfff) fail('invalid surrogate pair in a \\u escape');
            out += String.fromCharCode(v, w);
          } else out += String.fromCharCode(v);
          break;
        }
        default:
          fail('invalid escape');
      }
      run = i;
    }
  };
  // a JSON number; returns the unsigned integer, or the reason it is not one
  const number = (): number | string => {
    const start = i;
    let negative = false;
    if (text[i] === '-') {
      negative = true;
      i++;
    }
    if (text[i] === '0') i++;
    else if (text[i]! >= '1' && text[i]! <= '9') while (text[i]! >= '0' && text[i]! <= '9') i++;
    else fail('invalid number');
    let float = false;
    if (text[i] === '.') {
      float = true;
      i++;
      if (!(text[i]! >= '0' && text[i]! <= '9')) fail('invalid number');
      while (text[i]! >= '0' && text[i]! <= '9') i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      float = true;
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!(text[i]! >= '0' && text[i]! <= '9')) fail('invalid number');
      while (text[i]! >= '0' && text[i]! <= '9') i++;
    }
    const digits = text.slice(start, i);
    if (float || (negative && digits === '-0')) return 'a floating-point number, not an integer';
    if (negative) return 'a negative number';
    const v = Number(digits);
    if (!Number.isSafeInteger(v)) return 'an integer above 2^53 - 1';
    return v;
  };
  // any JSON value, validated and discarded (unknown tensor fields)
  const skip = (depth: number): void => {
    if (depth > MAX_DEPTH) fail('nested more than 128 levels');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        str();
        ws();
        expect(':');
        skip(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        skip(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') {
      str();
      return;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      number();
      return;
    }
    for (const lit of ['true', 'false', 'null'])
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    fail('expected a value');
  };
  const uintArray = (field: string, name: string): number[] => {
    ws();
    expect('[');
    const out: number[] = [];
    ws();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      const at = i;
      const v = number();
      if (typeof v === 'string') {
        i = at;
        fail(`${field} of tensor ${JSON.stringify(name.slice(0, 100))} holds ${v}`);
      }
      out.push(v as number);
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === ']') {
        i++;
        return out;
      } else fail("expected ',' or ']'");
    }
  };
  const tensorInfo = (name: string): HeaderEntry => {
    ws();
    expect('{');
    let dtype: DType | undefined;
    let shape: number[] | undefined;
    let offsets: number[] | undefined;
    ws();
    if (text[i] !== '}')
      for (;;) {
        ws();
        const key = str();
        ws();
        expect(':');
        if (key === 'dtype' || key === 'shape' || key === 'data_offsets') {
          if ((key === 'dtype' && dtype) || (key === 'shape' && shape) || (key === 'data_offsets' && offsets)) fail(`duplicate field "${key}"`);
          if (key === 'dtype') {
            ws();
            if (text[i] !== '"') fail('dtype must be a string');
            const d = str();
            if (!Object.hasOwn(DTYPE_BITS, d)) fail(`unknown dtype for tensor ${JSON.stringify(name.slice(0, 100))}`);
            dtype = d as DType;
          } else if (key === 'shape') shape = uintArray('shape', name);
          else {
            offsets = uintArray('data_offsets', name);
            if (offsets.length !== 2) fail(`data_offsets of tensor ${JSON.stringify(name.slice(0, 100))} must hold 2 integers`);
          }
        } else skip(2);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') break;
        else fail("expected ',' or '}'");
      }
    i++;
    if (!dtype || !shape || !offsets) fail(`tensor ${JSON.stringify(name.slice(0, 100))} lacks ${!dtype ? 'dtype' : !shape ? 'shape' : 'data_offsets'}`);
    return { dtype: dtype!, shape: shape!, begin: offsets![0]!, end: offsets![1]! };
  };
  const metadataObject = (): Record<string, string> => {
    ws();
    if (text.startsWith('null', i)) {
      i += 4;
      return {};
    }
    expect('{');
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      const k = str();
      ws();
      expect(':');
      ws();
      if (text[i] !== '"') fail('__metadata__ values must be strings');
      out[k] = str();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        return out;
      } else fail("expected ',' or '}'");
    }
  };

  ws();
  if (text[i] !== '{') fail('the header must be a JSON object');
  i++;
  const tensors = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> | null = null;
  ws();
  if (text[i] === '}') i++;
  else
    for (;;) {
      ws();
      const name = str();
      ws();
      expect(':');
      if (name === '__metadata__') {
        if (metadata) fail('duplicate __metadata__');
        metadata = metadataObject();
      } else tensors.set(name, tensorInfo(name));
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        break;
      } else fail("expected ',' or '}'");
    }
  ws();
  if (i !== n) fail('trailing characters after the header object');
  return { tensors, metadata: { ...(metadata ?? {}) } };
}
