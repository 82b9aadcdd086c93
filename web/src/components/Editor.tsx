import { useEffect, useState } from 'react';
import { parse, stringify } from 'yaml';

/**
 * The scenario two ways, kept in sync: form fields for the common keys and the whole scenario as
 * YAML. The form writes into the scenario (the YAML text follows); valid YAML replaces the
 * scenario (the form follows); invalid YAML shows the parser's message and changes nothing.
 */
export type Obj = Record<string, unknown>;

export interface Field {
  path: string[];
  label: string;
  type: 'number' | 'text' | 'select' | 'checkbox';
  options?: string[];
  optional?: boolean;
  help?: string;
}

export function getAt(o: Obj, path: string[]): unknown {
  let cur: unknown = o;
  for (const k of path) cur = cur && typeof cur === 'object' ? (cur as Obj)[k] : undefined;
  return cur;
}

export function setAt(o: Obj, path: string[], v: unknown): Obj {
  const out = structuredClone(o);
  let cur = out;
  for (const k of path.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
    cur = cur[k] as Obj;
  }
  const last = path[path.length - 1]!;
  if (v === undefined || v === '') delete cur[last];
  else cur[last] = v;
  // drop sections left empty
  if (path.length > 1) {
    const parent = getAt(out, path.slice(0, -1)) as Obj;
    if (parent && Object.keys(parent).length === 0) return setAt(out, path.slice(0, -1), undefined);
  }
  return out;
}

/** The fields every page's form opens with: the model, the accelerator and how many. */
export function systemFields(models: string[], accelerators: string[]): Field[] {
  return [
    { path: ['model'], label: 'model', type: 'select', options: models },
    { path: ['system', 'accelerator'], label: 'accelerator', type: 'select', options: accelerators },
    { path: ['system', 'count'], label: 'devices', type: 'number' },
  ];
}

export function Editor({ id, scenario, fields, onChange }: { id: string; scenario: Obj; fields: Field[]; onChange: (s: Obj) => void }) {
  const [text, setText] = useState(() => stringify(scenario));
  const [yamlError, setYamlError] = useState<string | null>(null);
  const [fromYaml, setFromYaml] = useState(false);
  useEffect(() => {
    if (!fromYaml) setText(stringify(scenario));
    setFromYaml(false);
  }, [scenario]);
  const onYaml = (t: string) => {
    setText(t);
    try {
      const v = parse(t) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('the scenario must be a mapping (kind, model, system, ...)');
      setYamlError(null);
      setFromYaml(true);
      onChange(v as Obj);
    } catch (e) {
      setYamlError((e as Error).message.split('\n')[0] ?? 'invalid YAML');
    }
  };
  return (
    <div className="editor">
      <fieldset className="form">
        <legend>Scenario</legend>
        {fields.map((f) => {
          const fid = `${id}-${f.path.join('-')}`;
          const v = getAt(scenario, f.path);
          const set = (x: unknown) => onChange(setAt(scenario, f.path, x));
          return (
            <div className="field" key={fid}>
              <label htmlFor={fid}>{f.label}</label>
              {f.type === 'select' ? (
                <select id={fid} value={v === undefined ? '' : String(v)} onChange={(e) => set(e.target.value === '' ? undefined : e.target.value)}>
                  {f.optional ? <option value="">(search / default)</option> : null}
                  {(f.options ?? []).map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                  {v !== undefined && typeof v === 'string' && !(f.options ?? []).includes(v) ? <option value={v}>{v}</option> : null}
                </select>
              ) : f.type === 'checkbox' ? (
                <input id={fid} type="checkbox" checked={v === true} onChange={(e) => set(e.target.checked ? true : undefined)} />
              ) : (
                <input
                  id={fid}
                  type={f.type === 'number' ? 'number' : 'text'}
                  inputMode={f.type === 'number' ? 'decimal' : undefined}
                  value={v === undefined ? '' : String(v)}
                  placeholder={f.optional ? 'search' : ''}
                  aria-describedby={f.help ? `${fid}-help` : undefined}
                  onChange={(e) => set(e.target.value === '' ? undefined : f.type === 'number' ? Number(e.target.value) : e.target.value)}
                />
              )}
              {f.help ? (
                <small id={`${fid}-help`} className="help">
                  {f.help}
                </small>
              ) : null}
            </div>
          );
        })}
      </fieldset>
      <div className="yaml">
        <label htmlFor={`${id}-yaml`}>Scenario as YAML (every key: docs/scenarios.md)</label>
        <textarea id={`${id}-yaml`} spellCheck={false} value={text} onChange={(e) => onYaml(e.target.value)} rows={14} aria-invalid={yamlError !== null} />
        {yamlError ? (
          <div role="alert" className="error">
            YAML: {yamlError}
          </div>
        ) : null}
      </div>
    </div>
  );
}
