import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultContext } from '../context/load.js';
import { IssueError } from '../core/issues.js';
import { parseText, type RawScenario } from '../scenario/load.js';
import { acceptedNames, flagsOf, listKind, overrideKeysOf, shellWords, tomlKeysOf, yamlKeysOf } from './check.js';
import { loadExportData } from './data.js';
import { defaultVersion, exportVersions, newestFirst } from './export.js';
import { exportScenario } from './run.js';
import type { ExportResult, ExportTarget, TargetData } from './types.js';

const data = loadExportData();
const ctx = defaultContext();
const raw = (path: string): RawScenario => ({ data: parseText(readFileSync(path, 'utf8'), path), baseDir: 'examples', source: path });
const inline = (text: string): RawScenario => ({ data: parseText(text, 'inline'), baseDir: '.', source: 'inline' });

const TRAINING: [string, () => RawScenario][] = [
  ['405B searched', () => raw('examples/llama3.1-405b-h100.yaml')],
  ['405B fixed', () => raw('examples/llama3.1-405b-h100-fixed.yaml')],
  ['DeepSeek-V3 MoE fp8', () => raw('examples/deepseek-v3-h800.yaml')],
  [
    '8B ZeRO 3 full recompute',
    () =>
      inline(`kind: training
model: llama-3.1-8b
system: { accelerator: nvidia-h100-sxm, count: 16 }
parallelism: { tensor: 1, pipeline: 1, data: 16, zero: 3 }
training: { sequenceLength: 4096, globalBatchSize: 64, microBatchSize: 1, recompute: full, precision: fp8 }`),
  ],
];
const SERVING: [string, () => RawScenario][] = [
  ['70B under an SLO', () => raw('examples/llama3.1-70b-slo.yaml')],
  ['70B fp8 on H200', () => raw('examples/llama3.3-70b-serve-h200.yaml')],
  ['405B offloaded', () => raw('examples/llama3.1-405b-4090-offload.yaml')],
  [
    'Mixtral fp8 KV, chunked prefill',
    () =>
      inline(`kind: inference
model: mixtral-8x7b
system: { accelerator: nvidia-h100-sxm, count: 8 }
quantization: { weights: fp8, kvCache: fp8 }
workload: { inputTokens: 1024, outputTokens: 256, concurrency: 32, chunkedPrefill: true, maxBatchTokens: 8192 }`),
  ],
];

const TRAINING_TARGETS: ExportTarget[] = ['megatron', 'megatron-bridge', 'torchtitan'];
const SERVING_TARGETS: ExportTarget[] = ['vllm', 'sglang', 'trtllm', 'llama.cpp'];

/** Every name the output sets, read back from the text itself (not from the builder's own list). */
function namesIn(r: ExportResult): string[] {
  const out: string[] = [];
  const cmd = r.command ?? '';
  const words = shellWords(cmd);
  const bin = words.findIndex((w) =>
    /pretrain_gpt\.py|run_recipe\.py|RECIPE_SCRIPT|run_train\.sh|^serve$|api_server|launch_server|trtllm-serve|llama-server/.test(w),
  );
  const after = words.slice(bin + 1).join(' ');
  if (r.target === 'megatron-bridge') out.push(...overrideKeysOf(after));
  else if (r.target !== 'torchtitan') out.push(...flagsOf(after));
  for (const f of r.files ?? []) out.push(...(f.name.endsWith('.toml') ? tomlKeysOf(f.content) : yamlKeysOf(f.content)));
  return out;
}

function allowedFor(version: string | null, d: TargetData): Set<string> {
  if (version === null) throw new Error('every target has version-pinned lists');
  return acceptedNames(d.versions[version]!);
}

describe('every generated command uses only names its framework version is known to accept', () => {
  const results: { label: string; r: ExportResult }[] = [];
  beforeAll(() => {
    for (const [label, sc] of TRAINING)
      for (const t of TRAINING_TARGETS) for (const v of exportVersions(t, data[t])) results.push({ label, r: exportScenario(sc(), t, v, ctx, null, data) });
    for (const [label, sc] of SERVING) {
      for (const t of SERVING_TARGETS) {
        const vs = exportVersions(t, data[t]);
        for (const v of vs.length ? vs : [undefined]) results.push({ label, r: exportScenario(sc(), t, v, ctx, null, data) });
      }
    }
  });

  it('covers every target and version', () => {
    const seen = new Set(results.map((x) => `${x.r.target}@${x.r.version}`));
    for (const t of [...TRAINING_TARGETS, ...SERVING_TARGETS]) {
      const vs = exportVersions(t, data[t]);
      for (const v of vs.length ? vs : [null]) expect(seen.has(`${t}@${v}`)).toBe(true);
    }
    expect(results.length).toBeGreaterThan(50);
  });

  it('names read back from the text are all on the version list (complete lists also reject unknown names)', () => {
    for (const { label, r } of results) {
      const d = data[r.target];
      const ok = allowedFor(r.version, d);
      const names = namesIn(r);
      // a partial list may vouch for none of the plan's settings (vLLM 0.14.0): then every setting is a comment
      if (r.check.list === 'known-good' && names.length === 0) expect(r.notEmitted.length).toBeGreaterThan(0);
      else expect(names.length, `${label} ${r.target}@${r.version}`).toBeGreaterThan(0);
      const bad = names.filter((n) => !ok.has(n));
      expect(bad, `${label} ${r.target}@${r.version}`).toEqual([]);
      const absent = new Set(r.version ? (d.versions[r.version]!.not_present ?? []) : []);
      expect(
        names.filter((n) => absent.has(n)),
        `${label} ${r.target}@${r.version}`,
      ).toEqual([]);
      // the builder's record matches the text
      expect(new Set(names)).toEqual(new Set(r.check.names));
    }
  });

  it('each list is what its data says: complete where the parser was read, known-good where partial', () => {
    for (const { r } of results) {
      expect(r.check.list).toBe(listKind(data[r.target].versions[r.version!]!));
      if (r.check.list === 'known-good') expect(r.command).toMatch(/partial list of names seen in version-pinned docs/);
      if (r.check.list === 'complete') expect(r.command ?? r.files![0]!.content).toMatch(/the complete list read from https:\/\//);
    }
  });

  it('the header carries the predicted metrics of the exported plan', () => {
    for (const { r } of results) {
      const text = r.command ?? '';
      const p = r.plan;
      if (p.kind === 'training') {
        expect(text).toContain(`MFU ${(p.flops.mfu * 100).toFixed(1)}%`);
        expect(text).toContain(`TP ${p.parallelism.tensor} · PP ${p.parallelism.pipeline}`);
      } else if (p.latency) expect(text).toContain(`TPOT ${(p.latency.tpotSeconds * 1000).toFixed(1)} ms`);
      for (const f of r.files ?? []) expect(f.content.startsWith('# sinan export --to')).toBe(true);
    }
  });
});

describe('what the commands say', () => {
  it('Megatron-LM gets the plan split and batch, and refuses --fp8-recipe where 0.9 has none', () => {
    const sc = TRAINING[3]![1];
    const r19 = exportScenario(sc(), 'megatron', '0.19.0', ctx, null, data);
    const p = r19.plan as Extract<ExportResult['plan'], { kind: 'training' }>;
    expect(r19.command).toContain(`--tensor-model-parallel-size ${p.parallelism.tensor}`);
    expect(r19.command).toContain(`--global-batch-size ${p.training.globalBatchSize}`);
    expect(r19.command).toContain('--recompute-granularity full');
    expect(r19.command).toContain('--fp8-recipe delayed');
    expect(r19.command).toContain('--use-torch-fsdp2');
    const r9 = exportScenario(sc(), 'megatron', 'core_v0.9.0', ctx, null, data);
    expect(r9.version).toBe('0.9.0');
    expect(flagsOf(r9.command!)).not.toContain('--fp8-recipe');
    expect(r9.notEmitted.map((x) => x.suggestion)).toContain('--fp8-recipe delayed');
  });

  it('a plain 70B plan gets its context, batch and memory flags on every vLLM release (all define them)', () => {
    const vs = exportVersions('vllm', data.vllm);
    expect(vs).toEqual(['0.14.0', '0.11.2', '0.10.2', '0.10.1.1', '0.8.5', '0.8.1', '0.6.6.post1', '0.6.3.post1']);
    for (const v of vs) {
      const r = exportScenario(SERVING[0]![1](), 'vllm', v, ctx, null, data);
      const p = r.plan as Extract<ExportResult['plan'], { kind: 'inference' }>;
      const words = shellWords(r.command!);
      const value = (flag: string) => words[words.indexOf(flag) + 1];
      expect(words.slice(0, 2), v).toEqual(['vllm', 'serve']);
      expect(value('--tensor-parallel-size'), v).toBe(String(p.parallelism.tensor));
      expect(value('--max-model-len'), v).toBe(String(p.workload.inputTokens + p.workload.outputTokens));
      expect(value('--max-num-seqs'), v).toBe(String(p.workload.concurrency));
      // vLLM's pool under its own rule (a share of total memory, less what it holds beside the pool) is the one priced
      const m = p.memory;
      const pool = Number(value('--gpu-memory-utilization')) * m.capacityBytes - m.reserve.residentBytes;
      expect(Math.abs(pool - m.reserve.kvPoolBytes), v).toBeLessThanOrEqual(0.0005 * m.capacityBytes);
      expect(r.notEmitted, v).toEqual([]);
    }
  });

  it('every engine gets the KV pool the plan priced under its own memory rule, whichever profile priced it', () => {
    for (const engine of ['vllm@0.10', 'trtllm@1.0', 'sglang@0.5', null]) {
      // 70B in 16 bits on two 80 GB GPUs: 70 GB of weights each, so a share of free memory and a share of total differ a lot
      const sc = () =>
        inline(`kind: inference
model: llama-3.1-70b
system: { accelerator: nvidia-h100-sxm, count: 2 }
parallelism: { tensor: 2 }
${engine ? `engine: ${engine}\n` : ''}workload: { inputTokens: 1024, outputTokens: 256, concurrency: 4 }`);
      const at = (t: 'vllm' | 'trtllm' | 'sglang', flag: string) => {
        const r = exportScenario(sc(), t, undefined, ctx, null, data);
        // the flag, the key in an options file, or the line a release without a checked name lists it on
        const text = [r.command ?? '', ...(r.files ?? []).map((x) => x.content)].join('\n');
        const v = new RegExp(`${flag}[: ]+([\\d.]+)`).exec(text)?.[1];
        if (v === undefined) throw new Error(`${t}: no ${flag} in ${text}`);
        return { v: Number(v), p: (r.plan as Extract<ExportResult['plan'], { kind: 'inference' }>).memory };
      };
      const label = engine ?? 'default profile';
      const u = at('vllm', 'gpu-memory-utilization');
      expect(Math.abs(u.v * u.p.capacityBytes - u.p.reserve.residentBytes - u.p.reserve.kvPoolBytes), label).toBeLessThanOrEqual(0.0005 * u.p.capacityBytes);
      const f = at('trtllm', 'free_gpu_memory_fraction');
      expect(Math.abs(f.v * (f.p.capacityBytes - f.p.reserve.residentBytes) - f.p.reserve.kvPoolBytes), label).toBeLessThanOrEqual(0.0005 * f.p.capacityBytes);
      const g = at('sglang', 'mem-fraction-static');
      expect(g.v * g.p.capacityBytes, label).toBeLessThanOrEqual(g.p.breakdown.weights + g.p.reserve.kvPoolBytes);
      expect(g.v, label).toBeLessThan(1);
      // priced with an engine's own profile, its flag is the profile's own fraction
      if (engine === 'vllm@0.10') expect(u.v).toBe(u.p.reserve.kvPoolFraction);
      if (engine === 'trtllm@1.0') expect(f.v).toBe(f.p.reserve.kvPoolFraction);
    }
  });

  it('a flag a release does not define stays a comment: --enable-expert-parallel came in 0.8.1, --speculative-config in 0.8.5', () => {
    const moe = () =>
      inline(`kind: inference
model: mixtral-8x7b
system: { accelerator: nvidia-h100-sxm, count: 8 }
parallelism: { tensor: 8, pipeline: 1, expert: 8 }
workload: { inputTokens: 1024, outputTokens: 256, concurrency: 32 }
speculative: { draft: llama-3.1-8b, tokens: 4, acceptance: 0.7 }`);
    const r66 = exportScenario(moe(), 'vllm', '0.6.6.post1', ctx, null, data);
    expect(flagsOf(r66.command!)).not.toContain('--enable-expert-parallel');
    expect(r66.notEmitted).toContainEqual(
      expect.objectContaining({ suggestion: '--enable-expert-parallel', reason: 'vLLM 0.6.6.post1 has no option --enable-expert-parallel' }),
    );
    expect(r66.command).toMatch(/^# {3}--enable-expert-parallel {3}— expert parallelism/m);
    const r81 = exportScenario(moe(), 'vllm', '0.8.1', ctx, null, data);
    expect(flagsOf(r81.command!)).toContain('--enable-expert-parallel');
    // 0.8.1 still has the pre-JSON speculative flags and no --speculative-config; 0.8.5 the other way round
    expect(flagsOf(r81.command!)).not.toContain('--speculative-config');
    expect(shellWords(r81.command!).join(' ')).toContain('--speculative-model llama-3.1-8b --num-speculative-tokens 4');
    const r85 = exportScenario(moe(), 'vllm', '0.8.5', ctx, null, data);
    expect(flagsOf(r85.command!)).not.toContain('--speculative-model');
    expect(shellWords(r85.command!)).toContain('{"model":"llama-3.1-8b","num_speculative_tokens":4}');
    expect(acceptedNames(data.vllm.versions['0.8.1']!).has('--speculative-config')).toBe(false);
    expect(acceptedNames(data.vllm.versions['0.8.5']!).has('--speculative-model')).toBe(false);
  });

  it('each vLLM list names the release tag, its commit and the file it was read from', () => {
    for (const [k, v] of Object.entries(data.vllm.versions)) {
      expect(v.tag, k).toBe(`v${k}`);
      expect(v.commit, k).toMatch(/^[0-9a-f]{40}$/);
      expect(v.source, k).toBe(`https://github.com/vllm-project/vllm/blob/v${k}/vllm/engine/arg_utils.py`);
      expect(listKind(v), k).toBe('complete');
      expect(Object.keys(v.args ?? {}).length, k).toBeGreaterThan(80);
    }
  });

  it('SGLang gets context, batch and memory flags on every release, and no --pp-size on 0.4.6 (0.4.10 has it)', () => {
    expect(exportVersions('sglang', data.sglang)).toEqual(['0.5.6', '0.5.2', '0.4.10', '0.4.6']);
    for (const v of exportVersions('sglang', data.sglang)) {
      const r = exportScenario(SERVING[0]![1](), 'sglang', v, ctx, null, data);
      const p = r.plan as Extract<ExportResult['plan'], { kind: 'inference' }>;
      const words = shellWords(r.command!);
      const value = (flag: string) => words[words.indexOf(flag) + 1];
      expect(value('--tp-size'), v).toBe(String(p.parallelism.tensor));
      expect(value('--context-length'), v).toBe(String(p.workload.inputTokens + p.workload.outputTokens));
      expect(value('--max-running-requests'), v).toBe(String(p.workload.concurrency));
      // a share of TOTAL memory holding the weights and the priced KV pool: below 1, above the weights' share
      const frac = Number(value('--mem-fraction-static'));
      const m = p.memory;
      expect(frac, v).toBeLessThan(1);
      expect(frac, v).toBeGreaterThan(m.breakdown.weights / m.capacityBytes);
      expect(frac * m.capacityBytes, v).toBeLessThanOrEqual(m.breakdown.weights + m.reserve.kvPoolBytes);
      expect(frac * m.capacityBytes, v).toBeGreaterThan(m.breakdown.weights + m.reserve.kvPoolBytes - 0.001 * m.capacityBytes);
    }
    // priced with SGLang's own profile, the flag is its own rule: (total - reserved 10 GB) / total
    const sg = exportScenario(
      inline(`kind: inference
model: llama-3.1-8b
system: { accelerator: nvidia-h100-sxm, count: 1 }
engine: sglang@0.5
workload: { inputTokens: 1024, outputTokens: 256, concurrency: 16 }`),
      'sglang',
      '0.5.6',
      ctx,
      null,
      data,
    );
    const sgp = sg.plan as Extract<ExportResult['plan'], { kind: 'inference' }>;
    const sgWords = shellWords(sg.command!);
    const cap = sgp.memory.capacityBytes;
    expect(Number(sgWords[sgWords.indexOf('--mem-fraction-static') + 1])).toBeCloseTo((cap - 10e9) / cap, 2);
    const pp = () =>
      inline(`kind: inference
model: llama-3.1-70b
system: { accelerator: nvidia-h100-sxm, count: 8 }
parallelism: { tensor: 4, pipeline: 2, expert: 1 }
workload: { inputTokens: 1024, outputTokens: 256, concurrency: 16 }`);
    const old = exportScenario(pp(), 'sglang', '0.4.6', ctx, null, data);
    expect(flagsOf(old.command!)).not.toContain('--pp-size');
    expect(old.notEmitted).toContainEqual(expect.objectContaining({ suggestion: '--pp-size 2', reason: 'SGLang 0.4.6 has no option --pp-size' }));
    const newer = exportScenario(pp(), 'sglang', '0.4.10', ctx, null, data);
    expect(shellWords(newer.command!).join(' ')).toContain('--pp-size 2');
  });

  it('torchtitan writes a TOML with the parallel degrees', () => {
    const r = exportScenario(TRAINING[1]![1](), 'torchtitan', undefined, ctx, null, data);
    const p = r.plan as Extract<ExportResult['plan'], { kind: 'training' }>;
    const toml = r.files![0]!.content;
    expect(toml).toMatch(new RegExp(`\\[parallelism\\][^[]*tensor_parallel_degree = ${p.parallelism.tensor}`));
    expect(toml).toContain(`pipeline_parallel_degree = ${p.parallelism.pipeline}`);
    expect(toml).toMatch(/\[activation_checkpoint\]\nmode = "/);
  });

  it('defaults follow the framework profile, else the newest release whose list has the core names', () => {
    expect(defaultVersion('megatron', data.megatron, 'megatron-core@0.14')).toBe('0.14.0');
    expect(defaultVersion('torchtitan', data.torchtitan, 'torchtitan@0.2')).toBe('0.2.2');
    expect(defaultVersion('megatron', data.megatron, 'default')).toBe('0.19.0');
    expect(defaultVersion('vllm', data.vllm, 'vllm@0.10')).toBe('0.10.2');
    expect(defaultVersion('vllm', data.vllm, 'vllm@0.8')).toBe('0.8.5');
    expect(defaultVersion('vllm', data.vllm, 'vllm@0.9')).toBe('0.14.0');
    expect(defaultVersion('vllm', data.vllm, 'trtllm@1.0')).toBe('0.14.0');
    expect(defaultVersion('vllm', data.vllm, 'default')).toBe('0.14.0');
    expect(defaultVersion('sglang', data.sglang, 'sglang@0.5')).toBe('0.5.6');
    expect(defaultVersion('sglang', data.sglang, 'sglang@0.4')).toBe('0.4.10');
    expect(defaultVersion('sglang', data.sglang, 'vllm@0.10')).toBe('0.5.6');
    expect(newestFirst(['0.6.3.post1', '0.10.2', '0.8.1', '1.0.0rc6', '0.19.0rc0'])).toEqual(['1.0.0rc6', '0.19.0rc0', '0.10.2', '0.8.1', '0.6.3.post1']);
  });

  it('the vLLM default follows the engine profile of the plan (vllm@0.10 is 0.10.2), the header says so, and --version overrides it', () => {
    const a100 = () => raw('examples/llama3.1-70b-optimize-a100.yaml');
    const r = exportScenario(a100(), 'vllm', undefined, ctx, null, data);
    expect(r.plan.kind === 'inference' && r.plan.profiles.engine).toBe('vllm@0.10');
    expect(r.version).toBe('0.10.2');
    expect(r.command).toMatch(/^# sinan export --to vllm --version 0\.10\.2\n/);
    expect(r.command).toContain("# Version 0.10.2: the newest listed vLLM 0.10.x release, following the plan's profile vllm@0.10");
    const plain = exportScenario(SERVING[0]![1](), 'vllm', undefined, ctx, null, data);
    expect(plain.plan.kind === 'inference' && plain.plan.profiles.engine).toBe('default');
    expect(plain.version).toBe('0.14.0');
    expect(plain.command).toContain('# Version 0.14.0: the newest listed vLLM release');
    const asked = exportScenario(a100(), 'vllm', '0.8.1', ctx, null, data);
    expect(asked.version).toBe('0.8.1');
    expect(asked.command).toContain('# Version 0.8.1: asked for with --version');
  });

  it('refuses an unknown target or version, SGLang versions, torchtitan main and the wrong plan kind', () => {
    const issue = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof IssueError) return e.issues[0]!;
        throw e;
      }
      throw new Error('no issue');
    };
    expect(issue(() => exportScenario(SERVING[0]![1](), 'ollama', undefined, ctx, null, data)).path).toEqual(['--to']);
    expect(issue(() => exportScenario(SERVING[0]![1](), 'vllm', '9.9', ctx, null, data))).toMatchObject({ code: 'invalid_value', path: ['--version'] });
    expect(issue(() => exportScenario(SERVING[0]![1](), 'sglang', '0.3.0', ctx, null, data))).toMatchObject({ code: 'invalid_value', path: ['--version'] });
    expect(issue(() => exportScenario(TRAINING[1]![1](), 'torchtitan', 'main-b5bcd76', ctx, null, data)).message).toMatch(/Python/);
    expect(issue(() => exportScenario(TRAINING[1]![1](), 'vllm', undefined, ctx, null, data))).toMatchObject({ path: ['kind'] });
  });

  it('shell words and key readers parse what they are given', () => {
    expect(shellWords(`a "b c" 'd e' \\\n  --x=1 # note\n--y`)).toEqual(['a', 'b c', 'd e', '--x=1', '--y']);
    expect(flagsOf('cmd --a 1 -b -5 --c=2')).toEqual(['--a', '-b', '--c']);
    expect(overrideKeysOf('x a.b=1 +c.d=2 ~e=3 --f')).toEqual(['a.b', 'c.d', 'e']);
    expect(tomlKeysOf('# h\n[a.b]\nc = 1\n[d]\ne = "x" # y\n')).toEqual(['a.b.c', 'd.e']);
    expect(yamlKeysOf('a: 1\nb:\n  c: 2\n  d:\n    e: 3\nf: 4\n')).toEqual(['a', 'b.c', 'b.d.e', 'f']);
  });
});
