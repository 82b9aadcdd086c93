import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/ctx.js';
import { run } from '../cli/main.js';

describe('sinan export', () => {
  it('--json prints the contract object: kind, target, version, command and the plan', async () => {
    const c = captureIo();
    expect(await run(['export', 'examples/llama3.1-70b-slo.yaml', '--to', 'vllm', '--json'], c.io)).toBe(0);
    const o = JSON.parse(c.out());
    // the plan is priced with the 'default' engine profile, which names no vLLM release: the newest listed
    expect(o).toMatchObject({ kind: 'export', target: 'vllm', version: '0.14.0', check: { list: 'complete' } });
    expect(o.check.versionChoice).toMatch(/^the newest listed vLLM release/);
    expect(o.command).toMatch(/^# sinan export --to vllm --version 0\.14\.0\n/);
    expect(o.plan.kind).toBe('inference');
    expect(Array.isArray(o.warnings)).toBe(true);
  });

  it('--version picks the framework release (not sinan --version) and a bad one exits 2 naming it', async () => {
    const c = captureIo();
    expect(await run(['export', 'examples/llama3.1-405b-h100-fixed.yaml', '--to', 'megatron', '--version', '0.9.0'], c.io)).toBe(0);
    expect(c.out()).toMatch(/Megatron-LM 0\.9\.0: the complete list/);
    const bad = captureIo();
    expect(await run(['export', 'examples/llama3.1-405b-h100-fixed.yaml', '--to', 'megatron', '--version', '0.99', '--json'], bad.io)).toBe(2);
    expect(JSON.parse(bad.out()).error.issues[0].path).toEqual(['--version']);
  });

  it('torchtitan prints the TOML file after the command', async () => {
    const c = captureIo();
    expect(await run(['export', 'examples/llama3.1-405b-h100-fixed.yaml', '--to', 'torchtitan'], c.io)).toBe(0);
    expect(c.out()).toMatch(/# ---- sinan-llama-3\.1-405b\.toml ----\n# sinan export[\s\S]*\[parallelism\]/);
  });
});
