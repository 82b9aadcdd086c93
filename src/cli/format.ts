import Table from 'cli-table3';
import { pc } from './style.js';
import { escapeControls } from '../util/terminal-text.js';

/** Small formatting helpers shared by the commands' renderers. */

export function bytes(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n.toFixed(0)} B`;
}

export function seconds(s: number): string {
  if (s >= 86400 * 2) return `${(s / 86400).toFixed(1)} days`;
  if (s >= 3600) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 60) return `${(s / 60).toFixed(1)} min`;
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toFixed(1)} ms`;
  return `${(s * 1e6).toFixed(0)} µs`;
}

export function num(n: number, digits = 0): string {
  if (Math.abs(n) >= 1e15) return `${(n / 1e15).toFixed(2)}P`;
  if (Math.abs(n) >= 1e12) return `${(n / 1e12).toFixed(2)}T`;
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  // a value that is not zero never prints as 0: below the digits asked, two significant figures
  if (n !== 0 && Math.abs(n) < 10 ** -digits) return String(Number(n.toPrecision(2)));
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

export function pct(f: number, digits = 1): string {
  return `${(f * 100).toFixed(digits)}%`;
}

/** Width of the terminal tables must fit (undefined: no limit, e.g. output to a file). */
let width: number | undefined;

/** Sets the width tables are fitted to (the CLI reads process.stdout.columns, or COLUMNS). */
export function setTableWidth(w: number | undefined): void {
  width = w !== undefined && Number.isFinite(w) && w >= 40 ? Math.floor(w) : undefined;
}

// eslint-disable-next-line no-control-regex
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Wraps prose at the terminal width (at spaces; a word longer than the line stays whole), indenting continuation lines. */
export function wrapText(s: string, indent = ''): string {
  if (width === undefined) return indent + s;
  const max = Math.max(20, width - indent.length);
  const out: string[] = [];
  let line = '';
  for (const word of s.split(/ +/)) {
    if (line && visible(line) + 1 + visible(word) > max) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

/**
 * Fits printed text to the terminal: prose lines longer than the width wrap at spaces (continuation
 * lines indented two more than the line), table lines are left alone (table() already fitted them).
 */
export function fitLines(s: string): string {
  if (width === undefined) return s;
  const w = width;
  return s
    .split('\n')
    .map((l) => {
      if (visible(l) <= w || /^[┌│├└]/.test(l)) return l;
      const lead = /^ */.exec(l)![0];
      const words = l.slice(lead.length).split(/ +/);
      const out: string[] = [];
      let line = lead;
      for (const word of words) {
        const pad = out.length ? lead + '  ' : lead;
        if (line.trim() && visible(line) + 1 + visible(word) > w) {
          out.push(line);
          line = lead + '  ' + word;
        } else line = line.trim() ? `${line} ${word}` : pad + word;
      }
      out.push(line);
      return out.join('\n');
    })
    .join('\n');
}

/** A table cell Sinan styled itself (pc.bold, pc.red, ...): its escape codes are printed as they are. */
export interface Styled {
  readonly styled: string;
}

/** Marks a cell as styled by Sinan, so table() keeps its escape codes. */
export const styled = (s: string): Styled => ({ styled: s });

/** A cell's text: a styled cell as it is, any other with its control characters escaped (a name from a file cannot drive the terminal). */
const cellText = (c: string | number | Styled): string => (typeof c === 'object' ? c.styled : escapeControls(String(c)));

/**
 * A table fitted to the terminal: columns keep their natural width while the table fits; otherwise
 * the widest columns are narrowed and wrap (numbers are never cut), and columns that still do not
 * fit are dropped from the right, with a note. Cells are printed with their control characters
 * escaped (see escapeControls), except those marked styled().
 */
export function table(head: string[], rows: (string | number | Styled)[][], opts: { align?: ('left' | 'right')[] } = {}): string {
  const cells = rows.map((r) => r.map(cellText));
  let cols = head.length;
  const natural = head.map((h, i) => Math.max(visible(h), ...cells.map((r) => visible(r[i] ?? ''))) + 2);
  const frame = (n: number) => n + 1; // one border character per column plus one
  let colWidths: number[] | undefined;
  let dropped = 0;
  if (width !== undefined && natural.reduce((a, b) => a + b, 0) + frame(cols) > width) {
    const w = [...natural];
    const budget = () => width! - frame(cols) - w.slice(0, cols).reduce((a, b) => a + b, 0);
    // narrow the widest text column step by step, down to 12 characters
    for (let guard = 0; guard < 10000 && budget() < 0; guard++) {
      let k = -1;
      for (let i = 0; i < cols; i++) if (w[i]! > 12 && /[a-z]{3}/i.test(cells.map((r) => r[i] ?? '').join(' ')) && (k < 0 || w[i]! > w[k]!)) k = i;
      if (k < 0) break;
      w[k]!--;
    }
    while (budget() < 0 && cols > 1) {
      cols--;
      dropped++;
    }
    colWidths = w.slice(0, cols);
  }
  const t = new Table({
    head: head.slice(0, cols).map((h) => pc.bold(h)),
    style: { head: [], border: [], compact: true },
    colAligns: (opts.align ?? head.map((_, i) => (i === 0 ? 'left' : 'right'))).slice(0, cols),
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: true } : {}),
  });
  for (const r of cells) t.push(r.slice(0, cols));
  return (
    t.toString() +
    (dropped
      ? pc.dim(`\n(${dropped} column${dropped > 1 ? 's' : ''} not shown at this terminal width: ${head.slice(cols).join(', ')}; widen it or use --json)`)
      : '')
  );
}

export function heading(s: string): string {
  return pc.bold(pc.cyan(s));
}

/** A horizontal bar of `frac` (0..1) in `width` characters. */
export function bar(frac: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(frac * width)));
  return '█'.repeat(n) + '·'.repeat(width - n);
}
