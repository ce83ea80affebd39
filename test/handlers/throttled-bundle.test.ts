import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { integrationEvent, localRequest } from '../../adapters/aws/api-gateway-events';
import { createTrackMessage, TEST_NOW } from '../support/factories';
import { ROOT } from '../support/local-destination';

/**
 * The ingest function as Lambda runs it — bundled by esbuild the way lib/house-function.ts has CDK do it
 * (CommonJS, minified, the AWS SDK left to the runtime) and run in its own Node process — against a
 * Kinesis that throttles every put. While the stream is full, holding a request only adds Lambda
 * concurrency (hold × offered rate), so the answer must come at once: 503 with Retry-After, one put,
 * no retry of the SDK's or ours.
 */
describe('the bundled ingest function against a Kinesis that throttles every put', () => {
  const dir = mkdtempSync(join(tmpdir(), 'throttled-bundle-'));
  let server: Server;
  let endpoint: string;
  let puts = 0;

  beforeAll(async () => {
    await build({
      entryPoints: [join(ROOT, 'lambdas', 'ingest', 'handler.ts')],
      outfile: join(dir, 'index.js'),
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*', '@smithy/*'],
      logLevel: 'silent',
    });
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
    const eventFile = join(dir, 'event.json');
    writeFileSync(
      eventFile,
      JSON.stringify(
        integrationEvent(localRequest({ body: JSON.stringify({ batch }) }), 'throttled', TEST_NOW, {
          customerId: 'acme',
          tokenId: 't',
          eventAliases: '{}',
        }),
      ),
    );
    const runs = 5;

    // Asynchronous: the throttling server answers from this process.
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          join(ROOT, 'scripts', 'bench', 'cold-start-child.cjs'),
          join(dir, 'index.js'),
          eventFile,
          String(runs),
        ],
        {
          cwd: tmpdir(),
          env: {
            ...process.env,
            NODE_PATH: join(ROOT, 'node_modules'),
            AWS_ENDPOINT_URL_KINESIS: endpoint,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            DELIVERY: 'stream',
            STREAM_NAME: 'events',
          },
        },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      ),
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!);

    expect(result.status).toBe(503);
    expect(result.headers['Retry-After'] ?? result.headers['retry-after']).toBe('30');
    expect(puts).toBe(runs); // one PutRecords per request: no SDK retry, no retry loop of ours
    // Warm invocations (the first also sets up the SDK client and its connection).
    for (const ms of result.eventsMs.slice(1)) expect(ms).toBeLessThanOrEqual(400);
  });
});
