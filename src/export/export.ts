import { IssueError, mkIssue } from '../core/issues.js';
import { warning } from '../core/warnings.js';
import { findVersion, listKind } from './check.js';
import { checkLines, comment, notEmittedLines, servingSummary, trainingSummary } from './header.js';
import { buildLlamaCpp } from './targets/llamacpp.js';
import { buildMegatronBridge } from './targets/megatron-bridge.js';
import { buildMegatron } from './targets/megatron.js';
import { buildSglang } from './targets/sglang.js';
import { buildTorchtitan } from './targets/torchtitan.js';
import { buildTrtllm } from './targets/trtllm.js';
import { buildVllm } from './targets/vllm.js';
import { EXPORT_TARGETS, type Built, type ExportInput, type ExportResult, type ExportTarget, type TargetData, type VersionData } from './types.js';

/** Which plan kind each target runs, its label, and the names a version must vouch for to be the default. */
export const TARGET_INFO: Record<ExportTarget, { kind: 'training' | 'inference'; label: string; core: string[] }> = {
  megatron: { kind: 'training', label: 'Megatron-LM', core: ['--tensor-model-parallel-size'] },
  'megatron-bridge': { kind: 'training', label: 'Megatron-Bridge', core: ['model.tensor_model_parallel_size'] },
  torchtitan: { kind: 'training', label: 'torchtitan', core: ['parallelism.tensor_parallel_degree'] },
  vllm: { kind: 'inference', label: 'vLLM', core: ['--tensor-parallel-size', '--pipeline-parallel-size'] },
  sglang: { kind: 'inference', label: 'SGLang', core: [] },
  trtllm: { kind: 'inference', label: 'TensorRT-LLM trtllm-serve', core: ['--tp_size', '--pp_size'] },
  'llama.cpp': { kind: 'inference', label: 'llama.cpp llama-server', core: ['--parallel'] },
};

function names(v: VersionData): Set<string> {
  const s = new Set([...(v.all_flags ?? []), ...(v.all_keys ?? []), ...(v.all_flags_for_llama_server ?? [])]);
  for (const k of Object.keys({ ...v.args, ...v.yaml_keys })) s.add(k);
  return s;
}

/** Orders release keys newest first (0.19.0 > 0.14.0 > 0.9.0; 1.0.0rc6 > 0.19.0rc0); other keys keep their order. */
export function newestFirst(keys: string[]): string[] {
  const parts = (k: string) => (/^\d/.test(k) ? (k.match(/\d+/g) ?? []).map(Number) : null);
  return [...keys].sort((a, b) => {
    const x = parts(a);
    const y = parts(b);
    if (!x || !y) return 0;
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (y[i] ?? -1) - (x[i] ?? -1);
    return 0;
  });
}

/** Versions a target can export to, newest first: those whose data has a runnable format (torchtitan main has no TOML). */
export function exportVersions(target: ExportTarget, d: TargetData): string[] {
  return newestFirst(
    Object.entries(d.versions)
      .filter(([, v]) => target !== 'torchtitan' || v.format === 'toml')
      .map(([k]) => k),
  );
}

/** A default version and why it was chosen (the export header says it). */
export interface VersionChoice {
  version: string | null;
  why: string;
}

/** The profile families that name a release of a target (megatron-core@0.14 is Megatron-LM core_v0.14.x). */
const PROFILE_FAMILY: Partial<Record<ExportTarget, string>> = {
  megatron: 'megatron-core',
  torchtitan: 'torchtitan',
  vllm: 'vllm',
  sglang: 'sglang',
  trtllm: 'trtllm',
};

/**
 * The version used when none is asked for: the newest listed release of the line the plan's
 * framework or engine profile names (vllm@0.10 is the newest 0.10.x), else the newest listed
 * release whose list vouches for the target's core names, else the newest listed.
 */
export function chooseVersion(target: ExportTarget, d: TargetData, profile?: string): VersionChoice {
  const vs = exportVersions(target, d);
  const info = TARGET_INFO[target];
  if (!vs.length) return { version: null, why: `Sinan has no version-pinned ${info.label} argument list` };
  const [fam, line] = (profile ?? '').split('@');
  const m = line ? /^(\d+\.\d+)/.exec(line) : null;
  const sameFamily = !!m && fam === PROFILE_FAMILY[target];
  if (m && sameFamily) {
    const hit = vs.find((k) => k === m[1] || k.startsWith(`${m[1]}.`));
    if (hit) return { version: hit, why: `the newest listed ${info.label} ${m[1]}.x release, following the plan's profile ${profile}` };
  }
  const unmatched = sameFamily
    ? `the plan's profile ${profile} names a ${info.label} line Sinan has no argument list for`
    : `the plan's profile ${profile ?? '(none)'} names no ${info.label} release`;
  const core = vs.find((k) => info.core.every((c) => names(d.versions[k]!).has(c)));
  if (core)
    return {
      version: core,
      why: `${core === vs[0] ? 'the newest listed' : 'the newest listed whose list has the core names of'} ${info.label} release (${unmatched})`,
    };
  return { version: vs[0]!, why: `the newest listed ${info.label} release (${unmatched})` };
}

/** The version used when none is asked for (see chooseVersion). */
export function defaultVersion(target: ExportTarget, d: TargetData, profile?: string): string | null {
  return chooseVersion(target, d, profile).version;
}

function build(target: ExportTarget, input: ExportInput, version: string | null, d: TargetData): Built {
  const v = version ? d.versions[version]! : null;
  if (input.kind === 'training') {
    if (target === 'megatron') return buildMegatron(input, version!, v!);
    if (target === 'megatron-bridge') return buildMegatronBridge(input, version!, v!);
    return buildTorchtitan(input, version!, v!);
  }
  if (target === 'vllm') return buildVllm(input, version!, v!);
  if (target === 'trtllm') return buildTrtllm(input, version!, v!);
  if (target === 'llama.cpp') return buildLlamaCpp(input, version!, v!);
  return buildSglang(input, version!, v!);
}

/**
 * The runnable command (and files) of a plan for a target framework, with a header comment
 * carrying the predicted metrics and what the names were checked against. Throws IssueError
 * for an unknown target or version, or a plan of the wrong kind.
 */
export function exportPlan(input: ExportInput, target: string, requested: string | undefined, data: Record<ExportTarget, TargetData>): ExportResult {
  if (!(EXPORT_TARGETS as readonly string[]).includes(target))
    throw new IssueError([mkIssue({ code: 'invalid_value', path: ['--to'], value: target, allowed: EXPORT_TARGETS, reason: 'unknown export target' })]);
  const t = target as ExportTarget;
  const info = TARGET_INFO[t];
  if (info.kind !== input.kind)
    throw new IssueError([
      mkIssue({
        code: 'invalid_value',
        path: ['kind'],
        value: input.kind,
        allowed: [info.kind],
        reason: `${info.label} runs ${info.kind} plans; give a ${info.kind} scenario`,
      }),
    ]);
  const d = data[t];
  const available = exportVersions(t, d);
  let version: string | null;
  let why: string;
  if (requested !== undefined) {
    why = 'asked for with --version';
    if (!available.length)
      throw new IssueError([
        mkIssue({
          code: 'unsupported',
          path: ['--version'],
          feature: `${info.label} versions`,
          reason: `Sinan has no version-pinned ${info.label} argument list; omit --version`,
        }),
      ]);
    version = findVersion(d, requested);
    if (version === null || !available.includes(version))
      throw new IssueError([
        mkIssue({
          code: 'invalid_value',
          path: ['--version'],
          value: requested,
          allowed: available,
          reason:
            t === 'torchtitan' && version !== null
              ? 'torchtitan main configures jobs in Python (no TOML); export to a tagged release'
              : `no argument list of ${info.label} ${requested} in data/export/${t}.json`,
        }),
      ]);
  } else ({ version, why } = chooseVersion(t, d, input.kind === 'training' ? input.plan.profiles.framework : input.plan.profiles.engine));
  const b = build(t, input, version, d);
  const v = version ? d.versions[version]! : null;
  const check = {
    list: listKind(v),
    version,
    source: v?.source ?? d.leads_not_validated?.source ?? '',
    names: [...new Set(b.names)],
    versionChoice: why,
    ...(v?.complete_for ? { completeFor: v.complete_for } : {}),
  };
  const header = [
    `sinan export --to ${t}${version ? ` --version ${version}` : ''}`,
    ...(input.kind === 'training' ? trainingSummary(input.plan) : servingSummary(input.plan)),
    ...checkLines(info.label, check),
    ...notEmittedLines(b.notEmitted),
  ];
  const command = b.argv ? [comment(header), ...(b.preamble ?? []), b.argv.join(' \\\n  ')].join('\n') + '\n' : undefined;
  const files = b.files?.map((f) => ({ name: f.name, content: [comment(header, f.comment), ...f.lines].join('\n') + '\n' }));
  const warnings = [
    ...input.plan.warnings,
    ...b.notEmitted.map((x) => warning('ignored_key', `not in the exported ${info.label} command: ${x.setting} (${x.reason})`, ['export'])),
  ];
  if (check.list === 'none')
    warnings.push(warning('estimate', `${info.label} flags were not checked against any release: Sinan has no version-pinned argument list`, ['export']));
  return {
    kind: 'export',
    target: t,
    version,
    ...(command !== undefined ? { command } : {}),
    ...(files ? { files } : {}),
    check,
    notEmitted: b.notEmitted,
    plan: input.plan,
    warnings,
  };
}
