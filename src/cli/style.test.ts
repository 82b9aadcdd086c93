import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/ctx.js';
import { run } from './main.js';
import { colorWanted } from './style.js';

const ESC = '\u001b[';
const scenario = `kind: training
model: llama-3.1-8b
system: { accelerator: nvidia-h100-sxm, count: 8 }
training: { sequenceLength: 4096, globalBatchSize: 64, tokens: 1e9 }
`;

describe('terminal colour', () => {
  it('follows the stream, NO_COLOR and FORCE_COLOR, not the CI variable', () => {
    expect(colorWanted(true, {})).toBe(true);
    expect(colorWanted(false, {})).toBe(false);
    expect(colorWanted(false, { CI: 'true' })).toBe(false);
    expect(colorWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted(true, { TERM: 'dumb' })).toBe(false);
    expect(colorWanted(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorWanted(true, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('captured output carries no escape codes unless the Io asks for colour', async () => {
    const plain = captureIo(scenario);
    expect(await run(['train', '-', '--tp', 'two'], plain.io)).toBe(2);
    expect(plain.err()).toContain("--tp [invalid_type] expected an integer, found 'two'");
    expect(plain.err()).not.toContain(ESC);
    const styled = captureIo(scenario);
    expect(await run(['train', '-', '--tp', 'two'], { ...styled.io, color: true })).toBe(2);
    expect(styled.err()).toContain(ESC);
    // the next call without colour is plain again: the setting does not leak between runs
    const again = captureIo(scenario);
    expect(await run(['train', '-', '--tp', 'two'], again.io)).toBe(2);
    expect(again.err()).not.toContain(ESC);
  });

  it("keeps Sinan's own styling in table cells (styled) while escaping everything else", async () => {
    const c = captureIo(scenario);
    expect(await run(['train', '-'], { ...c.io, color: true })).toBe(0);
    expect(c.out()).toContain(`${ESC}1mtotal`);
    expect(c.out()).not.toContain('\\u001b');
  });
});
