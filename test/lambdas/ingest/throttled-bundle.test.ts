import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { integrationEvent, localRequest } from '../../../adapters/aws/api-gateway-events';
import { bundleLambda, runBundled } from '../../support/bundled-lambda';
import { createTrackMessage, TEST_NOW } from '../../support/factories';

/**
 * The ingest function as Lambda runs it — bundled with the stack's own esbuild options
 * (test/support/bundled-lambda.ts) and run in its own Node process — against a Kinesis that throttles
 * every put. While the stream is full, holding a request only adds Lambda concurrency (hold × offered
 * rate), so the answer must come at once: 503 with Retry-After, one put, no retry of the SDK's or ours.
 */
describe('the bundled ingest function against a Kinesis that throttles every put', () => {
  const dir = mkdtempSync(join(tmpdir(), 'throttled-bundle-'));
  let server: Server;
  let endpoint: string;
  let puts = 0;
  let bundle: string;

  beforeAll(async () => {
    bundle = await bundleLambda('ingest/handler.ts', dir);
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (String(req.headers['x-amz-target']).endsWith('.PutRecords')) puts += 1;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(
          JSON.stringify({
            __type: 'ProvisionedThroughputExceededException',
            message: 'Rate exceeded for shard shardId-000000000000 in stream events',
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a 50-message request 503 + Retry-After within 400 ms, after a single put', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => createTrackMessage({ messageId: `throttled-${i}` }));
    const event = integrationEvent(localRequest({ body: JSON.stringify({ batch }) }), 'throttled', TEST_NOW, {
      customerId: 'acme',
      tokenId: 't',
      eventAliases: '{}',
    });
    const runs = 5;
    const result = await runBundled(bundle, event, runs, {
      AWS_ENDPOINT_URL_KINESIS: endpoint,
      DELIVERY: 'stream',
      STREAM_NAME: 'events',
    });

    expect(result.statuses).toEqual(Array(runs).fill(503));
    expect(result.headers[runs - 1]!['retry-after']).toBe('30');
    expect(puts).toBe(runs); // one PutRecords per request: no SDK retry, no retry loop of ours
    // Warm invocations (the first also sets up the SDK client and its connection).
    for (const ms of result.eventsMs.slice(1)) expect(ms).toBeLessThanOrEqual(400);
  });
});
