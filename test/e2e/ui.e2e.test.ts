/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES } from '../../web/src/examples.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmtValue } from '../../src/charts/format.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { webDir } from '../../src/http/static.js';

/**
 * The built web UI in a real browser (Debian's chromium driven by playwright-core) against the
 * server `sinan ui` runs: plans through the form, charts drawn with the API's numbers, a share
 * link, a downloaded report opened offline, keyboard use and labels, screenshots.
 */
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
const WEB = webDir();
const BIN = join(import.meta.dirname, '../../bin/sinan.js');
const BUILT = existsSync(join(import.meta.dirname, '../../dist/cli/main.js'));
const why = !CHROMIUM
  ? 'no chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)'
  : !WEB || !BUILT
    ? 'the package is not built (npm run build; npm ci does it)'
    : null;

/** Starts `sinan ui --port 0` (the installed command) and reads the URL it prints. */
function startUi(): Promise<{ url: string; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'ui', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sinan ui printed no URL: ${out}`)), 30_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /Sinan UI: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, proc });
      }
    });
    proc.on('exit', (code) => reject(new Error(`sinan ui exited with ${code}: ${out}`)));
  });
}
if (why) console.warn(`browser tests skipped: ${why}`);
const SHOTS = join(import.meta.dirname, 'screenshots');

describe.skipIf(why !== null)('the web UI in chromium', () => {
  let browser: Browser;
  let server: { url: string; proc: ChildProcess };
  const api = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await fetch(new URL(path, server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await r.json()) as T;
  };
  const open = async (hash: string, viewport = { width: 1280, height: 900 }): Promise<Page> => {
    const ctx = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    (page as Page & { errors: string[] }).errors = errors;
    await page.goto(new URL(hash, server.url).href);
    return page;
  };
  const svgText = (page: Page, chart: string) => page.locator(`[data-chart="${chart}"] svg`).first().textContent();

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startUi();
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.proc.kill('SIGTERM');
  });

  it('opens on a built-in example with its charts drawn', async () => {
    const page = await open('/');
    await page.locator('[data-chart="training-candidates"] svg').waitFor({ timeout: 30_000 });
    expect(await page.locator('h1').textContent()).toBe('Training');
    expect(await page.locator('figure.chart svg').count()).toBe(4);
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'training-desktop.png'), fullPage: true });
    await page.context().close();
  });

  it('plans a training job through the form; the charts and numbers are the API answer', async () => {
    const page = await open('/#/training');
    await page.locator('[data-chart="training-memory"] svg').waitFor();
    await page.getByLabel('model', { exact: true }).selectOption('llama-3.1-70b');
    await page.getByLabel('devices', { exact: true }).fill('512');
    await page.getByLabel('global batch (sequences)').fill('512');
    await page.getByLabel('sequence length').fill('4096');
    await page.getByRole('button', { name: 'Plan' }).click();
    await page.locator('.plan-line').filter({ hasText: 'Best plan' }).waitFor();
    await page.waitForFunction(() => document.querySelector('textarea[id$="-yaml"]')?.textContent?.includes('count: 512'));
    await page.waitForFunction(() => !document.querySelector('button.primary')?.hasAttribute('disabled'));
    const scenario = {
      kind: 'training',
      model: 'llama-3.1-70b',
      system: { accelerator: 'nvidia-h100-sxm', count: 512, perNode: 8 },
      training: { sequenceLength: 4096, globalBatchSize: 512, precision: 'bf16', tokens: 15.6e12 },
    };
    const r = await api<{
      step: { seconds: number; breakdown: { compute: number } };
      memory: { capacityBytes: number };
      flops: { mfu: number };
      alternatives: unknown[];
    }>('/v1/train?alternatives=24', scenario);
    expect(await page.locator('[data-metric="step"] .metric-value').textContent()).toBe(fmtValue(r.step.seconds, 's'));
    expect(await page.locator('[data-metric="mfu"] .metric-value').textContent()).toBe(fmtValue(r.flops.mfu, 'fraction'));
    expect(await svgText(page, 'training-memory')).toContain(`capacity ${(r.memory.capacityBytes / 1e9).toFixed(1)} GB`);
    expect(await svgText(page, 'training-step')).toContain(String(Number(r.step.breakdown.compute.toFixed(6))));
    expect(await page.locator('table tbody tr[data-row]').count()).toBe(1 + r.alternatives.length);
    // a table row and its chart point are linked
    await page.locator('tr[data-row="2"]').click();
    expect(await page.locator('tr[data-row="2"]').getAttribute('aria-selected')).toBe('true');
    // the derivation of a number opens from its card
    await page.getByRole('button', { name: 'how MFU was derived' }).click();
    expect(await page.locator('#how-mfu').getAttribute('open')).not.toBeNull();
    await page.context().close();
  });

  it('plans serving through the form, with the latency-vs-rate and Pareto charts, and copies a vLLM command', async () => {
    const page = await open('/#/serving');
    await page.locator('[data-chart="serving-splits"] svg').waitFor({ timeout: 30_000 });
    await page.getByLabel('requests/s', { exact: true }).fill('1');
    await page.getByLabel('SLO: TPOT (ms)').fill('40');
    await page.getByRole('button', { name: 'Plan' }).click();
    await page.waitForFunction(() => document.querySelector('textarea[id$="-yaml"]')?.textContent?.includes('tpotMs: 40'));
    await page.locator('[data-chart="serving-pareto"] svg').waitFor({ timeout: 30_000 });
    await page.locator('[data-chart="serving-latency-rate"] svg').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => !document.querySelector('button.primary')?.hasAttribute('disabled'));
    const scenario = {
      kind: 'inference',
      model: 'llama-3.1-70b',
      system: { accelerator: 'nvidia-h100-sxm', count: 8 },
      workload: { inputTokens: 2048, outputTokens: 256, requestRate: 1 },
      slo: { ttftMs: 1000, tpotMs: 40 },
    };
    const r = await api<{ latency: { tpotSeconds: number; ttftSeconds: number }; memory: { capacityBytes: number } }>('/v1/serve?alternatives=12', scenario);
    expect(await page.locator('[data-metric="tpot"] .metric-value').textContent()).toBe(fmtValue(r.latency.tpotSeconds, 's'));
    expect(await page.locator('[data-metric="ttft"] .metric-value').textContent()).toBe(fmtValue(r.latency.ttftSeconds, 's'));
    expect(await svgText(page, 'serving-splits')).toContain('SLO 40 ms');
    // the per-operator roofline labels the slowest decode operator the API names
    const rf = await api<{ roofline: { ops: { phase: string; op: string; seconds: number }[] } }>('/v1/serve', scenario);
    const slowest = rf.roofline.ops.filter((o) => o.phase === 'decode').sort((a, b) => b.seconds - a.seconds)[0]!;
    expect(await svgText(page, 'serving-roofline')).toContain(slowest.op);
    const search = await api<{ ranked: unknown[]; closest: unknown[] }>('/v1/serve?catalog=true', scenario);
    expect(await page.locator('#pareto-title ~ .scroll tbody tr').count()).toBe((search.ranked.length || search.closest.length) as number);
    const cmd = page.getByLabel('exported command');
    await page.waitForFunction(() => (document.getElementById('export-text') as HTMLTextAreaElement | null)?.value.includes('vllm serve'));
    expect(await cmd.inputValue()).toMatch(/# sinan export --to vllm --version [\d.]+[\s\S]*--tensor-parallel-size \d+/);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'copy', exact: true }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await cmd.inputValue());
    await page.screenshot({ path: join(SHOTS, 'serving-desktop.png'), fullPage: true });
    await page.context().close();
  });

  it('a share link reproduces the plan in a fresh page', async () => {
    const page = await open('/#/serving');
    await page.locator('[data-chart="serving-splits"] svg').waitFor({ timeout: 30_000 });
    await page.getByLabel('prompt tokens', { exact: true }).fill('777');
    await page.getByRole('button', { name: 'Plan' }).click();
    await page.waitForFunction(() => location.hash.length > 20 && document.querySelector('textarea[id$="-yaml"]')?.textContent?.includes('inputTokens: 777'));
    await page.waitForFunction(() => !document.querySelector('button.primary')?.hasAttribute('disabled'));
    const tpot = await page.locator('[data-metric="tpot"] .metric-value').textContent();
    const url = page.url();
    expect(url).toMatch(/#\/serving\/z[\w-]+$/);
    const fresh = await open(new URL(url).hash);
    await fresh.locator('[data-metric="tpot"] .metric-value').waitFor({ timeout: 30_000 });
    expect(await fresh.getByLabel('prompt tokens', { exact: true }).inputValue()).toBe('777');
    expect(await fresh.locator('[data-metric="tpot"] .metric-value').textContent()).toBe(tpot);
    await page.context().close();
    await fresh.context().close();
  });

  it('downloads the report, which opens offline with its charts and data', async () => {
    const page = await open('/#/training');
    await page.locator('[data-chart="training-candidates"] svg').waitFor({ timeout: 30_000 });
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download report' }).click()]);
    const file = join(mkdtempSync(join(tmpdir(), 'sinan-report-')), dl.suggestedFilename());
    await dl.saveAs(file);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link /);
    const ctx = await browser.newContext({ offline: true });
    const requests: string[] = [];
    ctx.on('request', (r) => void (r.url().startsWith('file:') ? null : requests.push(r.url())));
    const off = await ctx.newPage();
    await off.goto(`file://${file}`);
    expect(await off.locator('svg').count()).toBe(4);
    expect(await off.locator('h1').textContent()).toMatch(/^Training Llama 3\.1 405B/);
    const data = JSON.parse((await off.locator('#sinan-report-data').textContent())!);
    expect(data.report.kind).toBe('training');
    await off.locator('li[data-derivation="step"] > details > summary').click();
    expect(await off.locator('li[data-derivation="step-compute"]').isVisible()).toBe(true);
    expect(requests).toEqual([]);
    await ctx.close();
    await page.context().close();
  });

  it('is usable from the keyboard and every control has a label', async () => {
    const page = await open('/#/training');
    await page.locator('[data-chart="training-memory"] svg').waitFor({ timeout: 30_000 });
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => {
          const c = el as HTMLInputElement;
          const name = c.labels?.length ? c.labels[0]!.textContent : (c.getAttribute('aria-label') ?? (el.tagName === 'BUTTON' ? el.textContent : ''));
          return !name || !name.trim();
        })
        .map((el) => el.outerHTML.slice(0, 80)),
    );
    expect(unlabelled).toEqual([]);
    // Tab reaches the skip link first, then the page links; Enter follows one
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Serving');
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Serving' }).waitFor();
    // the form and the Plan button work from the keyboard
    await page.locator('[data-chart="serving-splits"] svg').waitFor({ timeout: 30_000 });
    await page.getByLabel('output tokens', { exact: true }).focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('128');
    await page.getByRole('button', { name: 'Plan' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('textarea[id$="-yaml"]')?.textContent?.includes('outputTokens: 128'));
    // table rows take focus and Enter selects them
    await page.locator('#pareto-title ~ .scroll tr[data-row="1"]').waitFor({ timeout: 30_000 });
    await page.locator('#pareto-title ~ .scroll tr[data-row="1"]').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('#pareto-title ~ .scroll tr[data-row="1"]').getAttribute('aria-selected')).toBe('true');
    await page.context().close();
  });

  it("shows the optimization manager's four rows, the attribution and the per-tensor formats, the numbers the API answers", async () => {
    const page = await open('/#/optimize');
    await page.locator('table[data-table="optimize-rows"] tbody tr').first().waitFor({ timeout: 45_000 });
    const scenario = EXAMPLES.optimize;
    const r = await api<{
      rows: { label: string; plan: { throughput: { outputTokensPerSecond: number } | null } }[];
      attribution: { row: string; entries: { optimization: string }[] }[];
      decisions: { weights: { format: string }[] };
      serveCommand: string;
    }>('/v1/optimize', scenario);
    const rows = page.locator('table[data-table="optimize-rows"] tbody tr');
    expect(await rows.count()).toBe(4);
    for (const [i, row] of r.rows.entries()) {
      expect(await rows.nth(i).getAttribute('data-row')).toBe(row.label);
      if (row.plan.throughput)
        expect(await rows.nth(i).locator('td').nth(7).textContent()).toBe(Math.round(row.plan.throughput.outputTokensPerSecond).toLocaleString('en-US'));
    }
    expect(await page.locator('section[data-attribution]').count()).toBe(r.attribution.length);
    expect(await page.locator(`section[data-attribution="${r.attribution[0]!.row}"] tr[data-optimization]`).count()).toBe(r.attribution[0]!.entries.length);
    const n = r.decisions.weights.filter((w) => w.format === r.decisions.weights[0]!.format).length;
    expect(await page.locator('[data-format-map]').textContent()).toContain(`${r.decisions.weights[0]!.format}: ${n} tensors`);
    expect(await page.locator('table[data-table="optimize-tensors"] tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('pre[data-serve-command]').textContent()).toBe(r.serveCommand);
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'optimize-desktop.png'), fullPage: true });
    await page.context().close();
  });

  it('shows the fleet and validation pages, overlays a calibration profile, and fits a phone screen', async () => {
    const page = await open('/#/fleet');
    await page.locator('[data-chart="goodput-interval"] svg').waitFor({ timeout: 45_000 });
    await page.locator('[data-chart="sweep-scaleup"] svg').waitFor({ timeout: 45_000 });
    await page.screenshot({ path: join(SHOTS, 'fleet-desktop.png'), fullPage: true });
    await page.goto(new URL('/#/validation', server.url).href);
    await page.locator('[data-chart="validation"] svg').waitFor({ timeout: 30_000 });
    const profile = {
      kind: 'sinan-calibration',
      version: 1,
      name: 'my runs',
      fit: {
        rows: [
          { id: 'mine-1', group: 'my cluster', metric: 'throughput.tokensPerSecondPerDevice', measured: 3000, predictedBefore: 3600, predictedAfter: 3100 },
        ],
      },
    };
    await page
      .getByLabel('your runs: a calibration profile from sinan calibrate')
      .setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(profile)) });
    await page.getByText('1 of your runs overlaid').waitFor();
    expect(await svgText(page, 'validation')).toContain('your runs, after');
    // the figure that counts is out of sample: it arrives after the refit and leads the line, the in-sample one labelled beside it
    await page.getByText(/^Out of sample/).waitFor({ timeout: 90_000 });
    const v = (await (await fetch(new URL('/v1/validation?kind=training&outOfSample=true', server.url))).json()) as {
      medianApe: number;
      outOfSample: { medianApe: number };
    };
    const line = (await page.locator('[data-metric="accuracy"]').textContent())!;
    expect(line).toContain(`median error ${v.outOfSample.medianApe.toFixed(1)}%`);
    expect(line).toContain(`in sample (the shipped fit, which saw every row): median ${v.medianApe.toFixed(1)}%`);
    await page.screenshot({ path: join(SHOTS, 'validation-desktop.png'), fullPage: true });
    await page.context().close();
    for (const p of ['training', 'serving'] as const) {
      const phone = await open(`/#/${p}`, { width: 390, height: 844 });
      await phone.locator(`[data-chart="${p === 'training' ? 'training-candidates' : 'serving-splits'}"] svg`).waitFor({ timeout: 30_000 });
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await phone.screenshot({ path: join(SHOTS, `${p}-phone.png`), fullPage: true });
      await phone.context().close();
    }
  });
});
