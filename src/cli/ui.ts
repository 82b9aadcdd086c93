import { IssueError } from '../core/issues.js';
import { startServer } from '../http/server.js';
import { calibrationCommand, hardwareCommand, modelsCommand, profilesCommand } from './catalog.js';
import { intFlag, reportIssues, type ExitCode, type Io } from './common.js';

/** The text a listing command prints with --json, captured. */
function captured(f: (io: Io) => unknown): string {
  let s = '';
  f({ out: (x) => void (s += x), err: () => {}, readStdin: () => '' });
  return s;
}

/** The catalog listings the API serves: the CLI's own --json output. */
export const CLI_LISTINGS = {
  models: () => captured((io) => modelsCommand({ json: true }, io)),
  hardware: () => captured((io) => hardwareCommand({ json: true }, io)),
  calibration: () => captured((io) => calibrationCommand({ json: true }, io)),
  profiles: () => captured((io) => profilesCommand({ json: true }, io)),
};

/** `sinan ui [--port N]`: the web UI and the HTTP API on 127.0.0.1; runs until interrupted. */
export async function uiCommand(f: { port?: string; timeLimit?: string; workers?: string }, io: Io): Promise<ExitCode> {
  let port: number;
  let limits: { timeLimitMs?: number; workers?: number } = {};
  try {
    port = intFlag('port', f.port, 0) ?? 8250;
    if (port > 65535) throw new IssueError([]);
    const t = intFlag('time-limit', f.timeLimit);
    const w = intFlag('workers', f.workers);
    limits = { ...(t !== undefined ? { timeLimitMs: t * 1000 } : {}), ...(w !== undefined ? { workers: w } : {}) };
  } catch (e) {
    if (e instanceof IssueError && e.issues.length) return reportIssues(e.issues, false, io);
    io.err('sinan: --port must be 0..65535\n');
    return 2;
  }
  let s;
  try {
    s = await startServer({ port, limits, listings: CLI_LISTINGS });
  } catch (e) {
    io.err(`sinan: cannot listen on 127.0.0.1:${port}: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(`Sinan UI: ${s.url}\n`);
  if (!s.web) io.err('warning: the web UI is not built (npm run build:web); serving the API only\n');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await s.close();
  return 0;
}
