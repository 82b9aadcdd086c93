/**
 * Edits one top-level member of a JSON object's text and leaves every other byte as it was.
 * Re-serialising a parsed config.json is not safe: JavaScript has one number type, so `0.0`
 * comes back as `0` and `1e-06` as `0.000001`, and transformers' strict config dataclasses then
 * refuse an int where the field is a float (for example Mixtral's `router_jitter_noise` or
 * Gemma-2's `final_logit_softcapping`).
 */

interface Member {
  key: string;
  /** offset of the key's opening quote */
  start: number;
  /** offset just past the value */
  end: number;
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** End (exclusive) of the string literal opening at `i`. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  throw new Error('unterminated string');
}

/** End (exclusive) of the JSON value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = stringEnd(text, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') if (--depth === 0) return j + 1;
    }
    throw new Error('unterminated value');
  }
  let j = i;
  while (j < text.length && !isSpace(text[j]) && text[j] !== ',' && text[j] !== '}' && text[j] !== ']') j++;
  return j;
}

/** The top-level members of an object text (valid JSON: the caller has parsed it) and its closing brace. */
function topLevel(text: string): { members: Member[]; close: number } {
  let i = 0;
  const ws = () => {
    while (isSpace(text[i])) i++;
  };
  ws();
  if (text[i] !== '{') throw new Error('not a JSON object');
  i++;
  const members: Member[] = [];
  for (;;) {
    ws();
    if (text[i] === '}') return { members, close: i };
    const start = i;
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(start, keyEnd)) as string;
    i = keyEnd;
    ws();
    i++; // ':'
    ws();
    const end = valueEnd(text, i);
    members.push({ key, start, end });
    i = end;
    ws();
    if (text[i] === ',') i++;
  }
}

/**
 * `text` (a JSON object) with member `key` set to `value` (serialised with two-space indents
 * and placed last) or removed (`value` undefined); every other member keeps its exact text.
 */
export function setTopLevelMember(text: string, key: string, value: unknown): string {
  // remove every definition of the key (JSON.parse keeps the last; none may survive), from the back
  for (const m of topLevel(text)
    .members.filter((x) => x.key === key)
    .reverse()) {
    const { members } = topLevel(text);
    const k = members.findIndex((x) => x.start === m.start);
    if (k < members.length - 1) text = text.slice(0, m.start) + text.slice(members[k + 1]!.start);
    else if (k > 0) text = text.slice(0, members[k - 1]!.end) + text.slice(m.end);
    else text = text.slice(0, m.start) + text.slice(m.end);
  }
  if (value === undefined) return text;
  const { members, close } = topLevel(text);
  const entry = `${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')}`;
  if (!members.length) return `${text.slice(0, close).trimEnd()}\n  ${entry}\n${text.slice(close)}`;
  const last = members[members.length - 1]!;
  return `${text.slice(0, last.end)},\n  ${entry}${text.slice(last.end)}`;
}
