import type { Derivation } from './derive.js';
import { escapeHtml, fmtValue } from './format.js';
import type { ChartSpec } from './types.js';

/**
 * One self-contained HTML report: the charts inline as SVG, the numbers with how each was
 * derived (expandable, no script needed), the tables, the exported command, and the scenario
 * and report as JSON inside the page. No external resource, so it opens offline. The CLI's
 * --html and the web UI's "download report" both write this.
 */
export interface ReportTable {
  title: string;
  head: string[];
  rows: (string | number)[][];
}

export interface ReportInput {
  title: string;
  subtitle: string;
  scenario: unknown;
  report: unknown;
  charts: ChartSpec[];
  derivations: Derivation[];
  tables?: ReportTable[];
  command?: { title: string; text: string };
  warnings?: { code: string; message: string }[];
  /** When it was made (passed in: this module reads no clock). */
  generated: string;
  /** A link that reproduces the plan (the web UI's share link), when there is one. */
  shareUrl?: string;
}

function derivationHtml(d: Derivation): string {
  const head = `<span class="dl">${escapeHtml(d.label)}</span> <b>${escapeHtml(fmtValue(d.value, d.unit))}</b>${d.rule && d.rule !== 'sum' ? ` <span class="rule">= ${escapeHtml(d.rule)}</span>` : d.rule === 'sum' ? ' <span class="rule">= the sum of</span>' : ''}`;
  const src = d.source ? `<div class="src">source: ${escapeHtml(d.source)}</div>` : '';
  if (!d.terms?.length) return `<li class="leaf" data-derivation="${escapeHtml(d.id)}">${head}${src}</li>`;
  return `<li data-derivation="${escapeHtml(d.id)}"><details><summary>${head}</summary>${src}<ul>${d.terms.map(derivationHtml).join('')}</ul></details></li>`;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:22px 0 8px}
.sub{color:#555}.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px;margin:10px 0}
figure{margin:0}figcaption{color:#555;font-size:13px;margin-top:4px}svg{max-width:100%;height:auto}
ul.der{list-style:none;padding-left:0}ul.der ul{list-style:none;padding-left:18px;border-left:2px solid #e3e6ea}
.rule{color:#666;font-size:12px}.src{color:#666;font-size:12px;margin:2px 0 4px 18px}summary{cursor:pointer}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e3e6ea;padding:4px 6px;text-align:left}
pre{background:#1d2330;color:#e8eaf0;padding:10px;border-radius:6px;overflow:auto;font-size:12px}.warn{color:#8a5a00}`;

/** JSON for an inline script element: '<' escaped so no text ends the element early. */
function inlineJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page; `render` draws a chart to SVG (renderSvg in Node, the web UI's bundled ECharts in the browser). */
export function reportHtml(r: ReportInput, render: (c: ChartSpec) => string): string {
  const charts = r.charts
    .map(
      (c) =>
        `<div class="card"><figure data-chart="${escapeHtml(c.id)}">${render(c)}<figcaption><b>${escapeHtml(c.title)}.</b> ${escapeHtml(c.caption)}</figcaption></figure></div>`,
    )
    .join('\n');
  const tables = (r.tables ?? [])
    .map(
      (t) =>
        `<h2>${escapeHtml(t.title)}</h2><div class="card"><table><thead><tr>${t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
          .map((row) => `<tr>${row.map((x) => `<td>${escapeHtml(String(x))}</td>`).join('')}</tr>`)
          .join('')}</tbody></table></div>`,
    )
    .join('\n');
  const warnings = r.warnings?.length
    ? `<div class="card warn"><b>Warnings</b><ul>${r.warnings.map((w) => `<li>[${escapeHtml(w.code)}] ${escapeHtml(w.message)}</li>`).join('')}</ul></div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(r.title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${escapeHtml(r.title)}</h1><div class="sub">${escapeHtml(r.subtitle)} · made by Sinan on ${escapeHtml(r.generated)}${r.shareUrl ? ` · <a href="${escapeHtml(r.shareUrl)}">open this plan in Sinan</a>` : ''}</div>
${warnings}
<h2>How each number was derived</h2><div class="card"><ul class="der">${r.derivations.map(derivationHtml).join('')}</ul></div>
<h2>Charts</h2>
${charts}
${tables}
${r.command ? `<h2>${escapeHtml(r.command.title)}</h2><pre>${escapeHtml(r.command.text)}</pre>` : ''}
<h2>Scenario</h2><pre>${escapeHtml(JSON.stringify(r.scenario, null, 2))}</pre>
<script type="application/json" id="sinan-report-data">${inlineJson({ scenario: r.scenario, report: r.report })}</script>
</main></body></html>
`;
}
