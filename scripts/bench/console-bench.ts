import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { FileOperatorStore } from '../../adapters/local/file-operator-store';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { createToken } from '../../domain/core/keys/token-admin';
import { authorizationFor } from '../../domain/core/keys/tokens';
import { spawnDestination, stopServer } from '../../local/spawn-destination';
import { sampleMessages } from './sample-traffic';

export interface ConsoleBenchResult {
  /** npm start's events/s with no console page open, and with one open on the customer being sent to. */
  closedEventsPerSecond: number;
  openEventsPerSecond: number;
  /** Bytes the open page received from the stream meanwhile (it was really reading). */
  streamedBytes: number;
  ratio: number;
}

/**
 * npm start's throughput with the operators' console open against without: 100-event requests at full
 * speed (autocannon, 16 connections, well past 5,000 events/s here), alternately without a page and
 * with one — its panel fetched once and its event stream on the customer being sent to, as the page
 * does — `rounds` times each, in the same process, after the console's first completeness read.
 */
export async function benchConsole(seconds: number, rounds = 3): Promise<ConsoleBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-console-'));
  const { token } = await createToken(new FileTokenStore(dataDir), 'bench', new Date());
  const operator = (await new FileOperatorStore(dataDir).create('bench', new Date())).token;
  const running = await spawnDestination({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' });
  const consoleUrl = /console for operators on (http:\/\/\S+)/.exec(running.output())![1]!;
  const body = JSON.stringify({ batch: sampleMessages(100, 97) });
  const load = async () =>
    (
      await autocannon({
        url: `${running.url}/v1/batch`,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', authorization: authorizationFor(token) },
        duration: seconds,
        connections: 16,
      })
    ).requests.average * 100;
  let streamedBytes = 0;
  const openPage = () => {
    const stop = new AbortController();
    const headers = { authorization: `Bearer ${operator}` };
    const reading = fetch(`${consoleUrl}stream?customer=bench`, { headers, signal: stop.signal })
      .then(async (answer) => {
        for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>)
          streamedBytes += chunk.length;
      })
      .catch(() => undefined);
    const panel = fetch(`${consoleUrl}api/customers/bench`, { headers, signal: stop.signal })
      .then((answer) => answer.arrayBuffer())
      .catch(() => undefined);
    return async () => {
      await panel;
      stop.abort();
      await reading;
    };
  };
  try {
    await load(); // warm-up
    // The console's first look reads the lake's completeness (a child at the lowest priority, then every
    // 5 minutes): done before the rounds, so they measure a page kept open, not that read.
    const headers = { authorization: `Bearer ${operator}` };
    for (let i = 0; i < 120; i++) {
      const rows = (await (await fetch(`${consoleUrl}api/overview`, { headers })).json()) as {
        completeness: { checkedAt: string | null };
      }[];
      if (rows.some((row) => row.completeness.checkedAt)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const closed: number[] = [];
    const open: number[] = [];
    for (let round = 0; round < rounds; round++) {
      closed.push(await load());
      const close = openPage();
      open.push(await load());
      await close();
    }
    // The median of each: one round can meet a disk flush or the other's garbage collection.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return {
      closedEventsPerSecond: median(closed),
      openEventsPerSecond: median(open),
      streamedBytes,
      ratio: median(open) / median(closed),
    };
  } finally {
    await stopServer(running.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
