import { serve, type ServerType } from '@hono/node-server';
import { createApp, type AppOptions } from './app.js';
import { defaultLimits, type HttpLimits } from './limits.js';
import { PlanPool } from './pool.js';
import { webDir } from './static.js';

/** Starts the API and the web UI on 127.0.0.1 (loopback only); resolves once listening. */
export async function startServer(o: {
  port: number;
  limits?: Partial<HttpLimits>;
  listings: AppOptions['listings'];
}): Promise<{ url: string; port: number; close: () => Promise<void>; web: string | null }> {
  const limits = { ...defaultLimits(), ...o.limits };
  const runner = new PlanPool({ workers: limits.workers, queue: limits.queue, timeLimitMs: limits.timeLimitMs, alternativesLimit: limits.alternatives });
  runner.warm();
  const web = webDir();
  const app = createApp({ runner, limits, web, listings: o.listings });
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: o.port }, () => resolve(s));
    s.on('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  // a request never outlives the time limit by much: sockets idle past it are closed
  if ('requestTimeout' in server) (server as unknown as { requestTimeout: number }).requestTimeout = limits.timeLimitMs + 5000;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    web,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await runner.close();
    },
  };
}
