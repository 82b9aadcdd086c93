import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The design rules of docs/architecture.md, checked on the source: the numeric core does no I/O,
 * keeps no mutable module state and reads no clock; no import cycle between files or folders.
 */
const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (n.endsWith('.ts') && !n.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const all = files(src);
const rel = (f: string) => relative(src, f).replace(/\\/g, '/');
const folder = (f: string) => rel(f).split('/')[0]!;

/** Relative imports of a file, resolved to source files (type-only imports included: they shape the design too). */
function imports(f: string): string[] {
  const text = readFileSync(f, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
    const target = resolve(dirname(f), m[1]!.replace(/\.js$/, '.ts'));
    out.push(target);
  }
  return out;
}

/** Folders of the numeric core: pure functions over plain data and typed arrays. */
const CORE = ['model', 'hardware', 'graph', 'cost', 'train', 'serve', 'fleet', 'rules', 'profiles', 'core', 'quant', 'formats'];

describe('the numeric core', () => {
  const core = all.filter((f) => CORE.includes(folder(f)));
  it('exists (the check is not vacuous)', () => {
    expect(core.length).toBeGreaterThan(40);
  });
  it('does no I/O, reads no clock or environment', () => {
    const bad: string[] = [];
    for (const f of core) {
      const t = readFileSync(f, 'utf8');
      if (/from 'node:(fs|fs\/promises|child_process|net|http|https|worker_threads)'/.test(t)) bad.push(`${rel(f)}: node I/O module`);
      if (/from '\.\.\/util\/(data|files|node-files)\.js'/.test(t)) bad.push(`${rel(f)}: reads files through util`);
      if (/\b(Date\.now|performance\.now|new Date\(|process\.(env|argv|cwd|stdout|stderr))/.test(t)) bad.push(`${rel(f)}: clock or process state`);
    }
    expect(bad).toEqual([]);
  });
  it('keeps no mutable module state', () => {
    const bad: string[] = [];
    for (const f of core) {
      const lines = readFileSync(f, 'utf8').split('\n');
      for (const [i, line] of lines.entries()) {
        // a value computed once on first use and never changed (a built kernel, a lookup table) is a
        // constant of the runtime: allowed when the comment above it says so
        const memo = /memo: idempotent/.test(lines[i - 1] ?? '');
        if (/^(export\s+)?let\s/.test(line) && !memo) bad.push(`${rel(f)}:${i + 1}: ${line.trim()}`);
        // a constant table is fine when its type says it cannot change
        if (/^(export\s+)?const\s+\w+\s*(:(?!\s*Readonly)[^=]+)?=\s*new\s+(Map|Set|WeakMap)\b/.test(line) && !memo)
          bad.push(`${rel(f)}:${i + 1}: ${line.trim()}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 0 | 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 1) found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.get(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.get(n)) visit(n);
  return found;
}

describe('imports', () => {
  it('have no cycle between files', () => {
    const g = new Map(all.map((f) => [f, new Set(imports(f).filter((t) => all.includes(t)))]));
    expect(cycles(g).map((c) => c.map(rel).join(' -> '))).toEqual([]);
  });
  it('have no cycle between folders', () => {
    const g = new Map<string, Set<string>>();
    for (const f of all) {
      const from = folder(f);
      if (!g.has(from)) g.set(from, new Set());
      for (const t of imports(f)) if (all.includes(t) && folder(t) !== from) g.get(from)!.add(folder(t));
    }
    expect(cycles(g).map((c) => c.join(' -> '))).toEqual([]);
  });
});
