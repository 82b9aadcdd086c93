import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { SCENARIO_SCHEMAS, WEIGHT_FORMAT_IDS } from './schema.js';

/** Every key of every scenario section, as a dotted path. */
function keys(schema: z.ZodType, prefix = ''): string[] {
  const out: string[] = [];
  const visit = (s: z.ZodType, p: string) => {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) return visit(s.unwrap() as z.ZodType, p);
    if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).forEach((o) => visit(o, p));
    if (s instanceof z.ZodObject)
      for (const [k, v] of Object.entries(s.shape)) {
        const path = p ? `${p}.${k}` : k;
        out.push(path);
        visit(v as z.ZodType, path);
      }
  };
  visit(schema, prefix);
  return out;
}

describe('docs/scenarios.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/scenarios.md', import.meta.url)), 'utf8');
  it('documents every key the schema accepts', () => {
    const missing: string[] = [];
    for (const [kind, s] of Object.entries(SCENARIO_SCHEMAS))
      for (const k of keys(s)) {
        const leaf = k.split('.').pop()!;
        // a key is documented as `leaf`, `parent.leaf` or in a table row of its section
        const forms = [`\`${leaf}\``, `.${leaf}\``, `\`${leaf}.`, `.${leaf}.`, `\`${k}\``];
        if (!forms.some((f) => doc.includes(f))) missing.push(`${kind}: ${k}`);
      }
    expect(missing).toEqual([]);
  });
  it('lists every weight format the schema accepts', () => {
    const row = (key: string) => doc.split('\n').find((l) => l.startsWith(`| \`${key}\``)) ?? '';
    for (const id of WEIGHT_FORMAT_IDS) expect(row('quantization.weights'), id).toContain(`\`${id}\``);
  });
  it('states the published limits', () => {
    expect(doc).toMatch(/1 MiB/);
    expect(doc).toMatch(/32 levels/);
    expect(doc).toMatch(/100 YAML aliases/);
  });
});
