import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { createToken } from '../../domain/core/keys/token-admin';
import { authorizationFor } from '../../domain/core/keys/tokens';
import { spawnDestination, spawnServer, stopServer } from '../../local/spawn-destination';
import { sampleMessages } from './sample-traffic';

export interface ServerBenchRow {
  shape: 'single' | 'batch-100';
  server: 'destination' | 'baseline';
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

async function hammer(
  url: string,
  body: string,
  authorization: string,
  seconds: number,
  connections: number,
) {
  const result = await autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', authorization },
    duration: seconds,
    connections,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  };
}

/**
 * Requests/s and events/s of the local destination (`npm start`: authorizer, ingest, fsync'ed spool)
 * against the baseline server, each in its own process, loaded by autocannon from this one over
 * loopback, for single-message and 100-message requests.
 */
export async function benchServer(seconds: number, connections = 16): Promise<ServerBenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-server-'));
  const rows: ServerBenchRow[] = [];
  try {
    const { token } = await createToken(new FileTokenStore(dataDir), 'bench', new Date());
    const authorization = authorizationFor(token);
    const shapes = [
      { shape: 'single' as const, events: 1, body: JSON.stringify(sampleMessages(1, 99)[0]) },
      { shape: 'batch-100' as const, events: 100, body: JSON.stringify({ batch: sampleMessages(100, 98) }) },
    ];
    for (const { shape, events, body } of shapes) {
      for (const server of ['baseline', 'destination'] as const) {
        const running =
          server === 'baseline'
            ? await spawnServer(
                'scripts/bench/baseline-server.ts',
                [join(dataDir, `baseline-${shape}.jsonl`)],
                {},
              )
            : await spawnDestination({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' });
        try {
          const r = await hammer(`${running.url}/`, body, authorization, seconds, connections);
          rows.push({
            shape,
            server,
            requestsPerSecond: r.requestsPerSecond,
            eventsPerSecond: r.requestsPerSecond * events,
            p50Ms: r.p50Ms,
            p99Ms: r.p99Ms,
            non2xx: r.non2xx,
          });
        } finally {
          await stopServer(running.child);
        }
      }
    }
    return rows;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
