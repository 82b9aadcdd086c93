import { IssueError, mkIssue } from '../core/issues.js';
import { closest } from '../core/suggest.js';
import { QUANT_FORMATS, type QuantFormat } from '../checkpoint/convert.js';
import { MIXED_FORMATS, type MixedFormat } from '../checkpoint/mixed.js';

/**
 * The checkpoint commands' format flags, checked before any file is opened: an unknown format
 * gets a did-you-mean, and an option the chosen format does not use is an error naming the
 * option, the format and what the option is for (it is never silently ignored).
 */

const BNB: readonly QuantFormat[] = ['nf4', 'fp4'];
const INT: readonly QuantFormat[] = ['int4', 'int8'];

/** How a format sets what the option would have set, when it has its own way (for the error's second half). */
function instead(option: string, format: QuantFormat): string {
  if (BNB.includes(format)) {
    if (option === '--group-size') return `--format ${format} sets its block size with --blocksize`;
    if (option === '--layout') return `--format ${format} is always written in the bitsandbytes layout`;
    return `--format ${format} is symmetric (a 16-value code scaled by each block's absmax)`;
  }
  if (INT.includes(format)) {
    if (option === '--blocksize') return `--format ${format} sets its groups with --group-size`;
    return `--format ${format} stores its per-group scales in FP16/BF16`;
  }
  if (format === 'fp8-block') return `--format fp8-block has fixed 128x128 blocks, each with its own scale`;
  if (option === '--layout') return `--format ${format} is always written in the compressed-tensors layout`;
  return `--format ${format} has ${format === 'fp8' ? 'one scale per tensor' : format === 'fp8-channel' ? 'one scale per output row' : 'no groups or blocks'}`;
}

const APPLIES: Record<string, { to: readonly QuantFormat[]; what: string }> = {
  '--double-quant': { to: BNB, what: 'it double-quantizes their block scales' },
  '--blocksize': { to: BNB, what: 'their bitsandbytes block size' },
  '--group-size': { to: INT, what: 'their quantization group size' },
  '--asym': { to: INT, what: 'a zero point per group instead of symmetric groups' },
  '--layout': { to: INT, what: 'gptq or compressed-tensors tensors' },
};

const conflict = (option: string, format: string, reason: string) =>
  new IssueError([mkIssue({ code: 'conflict', path: [option], keys: [option, `--format ${format}`], reason })]);

/** The --format of quantize: one of QUANT_FORMATS, else an error with the nearest (NF4 → nf4, nf4-dq → nf4 --double-quant). */
export function quantFormatFlag(v: string): QuantFormat {
  if ((QUANT_FORMATS as readonly string[]).includes(v)) return v as QuantFormat;
  const dq = /^(nf4|fp4)-?dq$/i.exec(v);
  const suggestion = dq ? null : closest(v, QUANT_FORMATS);
  const hint = dq
    ? `double quantization is an option of quantize, not a format: use --format ${dq[1]!.toLowerCase()} --double-quant`
    : suggestion !== null && suggestion === v.toLowerCase()
      ? 'formats are lower case'
      : undefined;
  throw new IssueError([
    mkIssue({ code: 'unknown_id', path: ['--format'], kind: 'format', id: v, candidates: [...QUANT_FORMATS], suggestion, ...(hint ? { hint } : {}) }),
  ]);
}

/** Refuses the options of quantize that --format does not use. */
export function checkQuantizeOptions(
  format: QuantFormat,
  given: { doubleQuant?: boolean; blocksize?: string; groupSize?: string; asym?: boolean; layout?: string },
): void {
  const used: [string, boolean][] = [
    ['--double-quant', !!given.doubleQuant],
    ['--blocksize', given.blocksize !== undefined],
    ['--group-size', given.groupSize !== undefined],
    ['--asym', !!given.asym],
    ['--layout', given.layout !== undefined],
  ];
  for (const [option, on] of used) {
    const a = APPLIES[option]!;
    if (on && !a.to.includes(format))
      throw conflict(option, format, `${option} applies to --format ${a.to.join(' and ')} (${a.what}); ${instead(option, format)}`);
  }
}

/** The --formats of mixed: each one of MIXED_FORMATS, else an error with the nearest. */
export function mixedFormatsFlag(v: string): MixedFormat[] {
  const out: MixedFormat[] = [];
  for (const x of v.split(',').map((s) => s.trim())) {
    if (!(MIXED_FORMATS as readonly string[]).includes(x)) {
      const suggestion = closest(x, MIXED_FORMATS);
      throw new IssueError([
        mkIssue({
          code: 'unknown_id',
          path: ['--formats'],
          kind: 'format',
          id: x,
          candidates: [...MIXED_FORMATS],
          suggestion,
          ...(suggestion !== null && suggestion === x.toLowerCase() ? { hint: 'formats are lower case' } : {}),
        }),
      ]);
    }
    out.push(x as MixedFormat);
  }
  return out;
}

/** Refuses the options of mixed that none of its --formats uses. */
export function checkMixedOptions(formats: readonly MixedFormat[], given: { groupSize?: string }): void {
  if (given.groupSize !== undefined && !formats.some((f) => f === 'int4' || f === 'int8'))
    throw new IssueError([
      mkIssue({
        code: 'conflict',
        path: ['--group-size'],
        keys: ['--group-size', `--formats ${formats.join(',')}`],
        reason: '--group-size applies to the int4 and int8 formats (their quantization group size), and --formats lists neither',
      }),
    ]);
}
