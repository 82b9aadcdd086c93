import type { ExportCheck, TargetData, VersionData } from './types.js';

/**
 * Checking generated names against what a framework version accepts. A complete list (the
 * version's whole parser was read) rejects every unknown name; a known-good list only vouches
 * for the names it has, so a builder emits nothing else from it.
 */

/** Whether the version's list is the parser's whole option set. */
export function listKind(v: VersionData | null): ExportCheck['list'] {
  if (!v) return 'none';
  if (v.all_flags || v.all_keys || v.all_flags_for_llama_server) return 'complete';
  if (v.seen_partial === false) return 'complete';
  return 'known-good';
}

/** Every name the version is known to accept (flags with their aliases, or dotted keys). */
export function acceptedNames(v: VersionData): Set<string> {
  const s = new Set<string>([...(v.all_flags ?? []), ...(v.all_keys ?? []), ...(v.all_flags_for_llama_server ?? [])]);
  for (const table of [v.args, v.yaml_keys]) {
    for (const [k, a] of Object.entries(table ?? {})) {
      s.add(k);
      for (const al of a.aliases ?? []) s.add(al);
    }
  }
  return s;
}

/** The version's entry, by its key or by a tag spelling (core_v0.14.0, v0.2.2). */
export function findVersion(d: TargetData, requested: string): string | null {
  if (d.versions[requested]) return requested;
  const bare = requested.replace(/^core_v/, '').replace(/^v/, '');
  for (const [k, v] of Object.entries(d.versions)) {
    if (k === bare || v.tag === requested || v.ref === requested) return k;
    if (k.startsWith('commit-') && requested.length >= 7 && (v.commit ?? k.slice(7)).startsWith(requested.replace(/^commit-/, ''))) return k;
  }
  return null;
}

/**
 * Splits a shell command into words (quotes, backslash-newline continuations, comments), the
 * way a POSIX shell would for the simple commands export writes.
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && text[i + 1] === '\n') i++;
    else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (c === '#' && !has) while (i < text.length && text[i] !== '\n') i++;
    else if (c === ' ' || c === '\t' || c === '\n') {
      if (has) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (q) throw new Error('unterminated quote in generated command');
  if (has) words.push(cur);
  return words;
}

/** The option names a command sets: words starting with '-' (not negative numbers), without '=value'. */
export function flagsOf(command: string): string[] {
  return shellWords(command)
    .filter((w) => /^--?[A-Za-z]/.test(w))
    .map((w) => w.split('=')[0]!);
}

/** KEY=VALUE override words (Hydra style), their keys; '+key' and '~key' forms too. */
export function overrideKeysOf(command: string): string[] {
  return shellWords(command)
    .filter((w) => /^[+~]?[A-Za-z_][\w.]*=/.test(w))
    .map((w) => w.split('=')[0]!.replace(/^[+~]/, ''));
}

/** Dotted keys a TOML file sets ([section] headers and key = value lines). */
export function tomlKeysOf(text: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const h = /^\[([\w.]+)\]$/.exec(line);
    if (h) {
      section = h[1]!;
      continue;
    }
    const kv = /^([\w]+)\s*=/.exec(line);
    if (kv) out.push(section ? `${section}.${kv[1]}` : kv[1]!);
  }
  return out;
}

/** Dotted keys a YAML file of nested mappings sets (the simple block style export writes). */
export function yamlKeysOf(text: string): string[] {
  const out: string[] = [];
  const stack: { indent: number; key: string }[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim() || raw.trim().startsWith('#')) continue;
    const m = /^(\s*)([\w]+):\s*(.*)$/.exec(raw);
    if (!m) continue;
    const indent = m[1]!.length;
    while (stack.length && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const key = [...stack.map((s) => s.key), m[2]!].join('.');
    const value = m[3]!.replace(/#.*$/, '').trim();
    if (value === '') stack.push({ indent, key: m[2]! });
    else out.push(key);
  }
  return out;
}

/** Names not in the version's list (empty when everything was checked). */
export function unknownNames(names: string[], v: VersionData): string[] {
  const ok = acceptedNames(v);
  return [...new Set(names)].filter((n) => !ok.has(n));
}
