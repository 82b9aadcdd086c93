import { parentPort } from 'node:worker_threads';
import { defaultContext } from '../context/load.js';
import { loadExportData } from '../export/data.js';
import { runJob, type Job, type JobEnv } from './jobs.js';

/** A plan worker: the HTTP server's event loop never runs a plan, so a slow one can be stopped by ending this thread. */
const port = parentPort;
if (port) {
  const env: Omit<JobEnv, 'alternativesLimit'> = { ctx: defaultContext(), exportData: loadExportData() };
  port.on('message', (m: { id: number; job: Job; alternativesLimit: number }) => {
    const r = runJob(m.job, { ...env, alternativesLimit: m.alternativesLimit });
    port.postMessage({ id: m.id, ...r });
  });
  port.postMessage({ ready: true });
}
