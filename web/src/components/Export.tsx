import { useEffect, useState } from 'react';
import { getOnce, postJson } from '../api.js';
import { Issues } from './Issues.js';

interface TargetInfo {
  target: string;
  kind: 'training' | 'inference';
  label: string;
  versions: string[];
}
interface ExportResult {
  target: string;
  version: string | null;
  command?: string;
  files?: { name: string; content: string }[];
}

/** The plan as the command line (or config file) a framework runs, with a copy button (POST /v1/export). */
export function ExportBox({ kind, scenario, onCommand }: { kind: 'training' | 'inference'; scenario: unknown; onCommand?: (text: string) => void }) {
  const [targets, setTargets] = useState<TargetInfo[]>([]);
  const [target, setTarget] = useState(kind === 'training' ? 'megatron' : 'vllm');
  const [version, setVersion] = useState('');
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    void getOnce<{ targets: TargetInfo[] }>('/v1/export/targets').then((t) => setTargets(t.targets.filter((x) => x.kind === kind)));
  }, [kind]);
  useEffect(() => {
    let live = true;
    setError(null);
    const q = `to=${encodeURIComponent(target)}${version ? `&version=${encodeURIComponent(version)}` : ''}`;
    postJson<ExportResult>(`/v1/export?${q}`, scenario)
      .then((r) => {
        if (!live) return;
        setResult(r);
        onCommand?.(text(r));
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [target, version, scenario]);
  const text = (r: ExportResult) => [r.command ?? '', ...(r.files ?? []).map((f) => `# ---- ${f.name} ----\n${f.content}`)].join('\n');
  const copy = async () => {
    if (!result) return;
    try {
      await navigator.clipboard.writeText(text(result));
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      const ta = document.getElementById('export-text') as HTMLTextAreaElement | null;
      ta?.select();
    }
  };
  const versions = targets.find((t) => t.target === target)?.versions ?? [];
  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">Run it: export the plan</h2>
      <div className="row">
        <label htmlFor="export-target">framework</label>
        <select
          id="export-target"
          value={target}
          onChange={(e) => {
            setTarget(e.target.value);
            setVersion('');
          }}
        >
          {(targets.length ? targets.map((t) => t.target) : [target]).map((t) => (
            <option key={t} value={t}>
              {targets.find((x) => x.target === t)?.label ?? t}
            </option>
          ))}
        </select>
        <label htmlFor="export-version">version</label>
        <select id="export-version" value={version} onChange={(e) => setVersion(e.target.value)} disabled={!versions.length}>
          <option value="">{versions.length ? 'default' : 'none pinned'}</option>
          {versions.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
        <button type="button" onClick={copy} disabled={!result}>
          {copied ? 'copied' : 'copy'}
        </button>
      </div>
      <Issues error={error} />
      <textarea id="export-text" aria-label="exported command" readOnly rows={14} spellCheck={false} value={result ? text(result) : ''} />
    </section>
  );
}
