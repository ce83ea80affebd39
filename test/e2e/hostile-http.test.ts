import { rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { jsonLogger } from '../../adapters/system/json-logger';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { readLake } from '../../local/read-lake';
import { createTrackMessage } from '../support/factories';
import { basicAuth, makeToken, post, tempDataDir } from '../support/local-destination';
import { rawRequest } from '../support/raw-http';

/**
 * Whatever anyone sends, the local destination stays up, answers per Segment's contract (never a 5xx
 * of ours), and the valid traffic around the hostile requests lands.
 */
describe('hostile HTTP against the local destination', () => {
  let dataDir: string;
  let destination: LocalDestination;
  let token: string;
  const valid: string[] = [];

  beforeAll(async () => {
    dataDir = tempDataDir('hostile-');
    ({ token } = await makeToken(dataDir));
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('hostile-test'),
      flushIntervalMs: 200,
      headersTimeoutMs: 1_000,
      requestTimeoutMs: 2_000,
    });
  });
  afterAll(async () => {
    await destination.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Valid traffic before and after each hostile request: the server is alive and still storing.
  afterEach(async () => {
    const message = createTrackMessage();
    const answer = await post(`${destination.url}/`, message, token);
    expect(answer.status).toBe(200);
    valid.push(message.messageId as string);
  });

  const send = (body: string | Buffer, headers: Record<string, string> = {}) =>
    post(`${destination.url}/`, body, token, headers);

  it('invalid UTF-8 → 400', async () => {
    expect(await send(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]))).toMatchObject({
      status: 400,
      body: { code: 'invalid_encoding' },
    });
  });

  it('truncated gzip → 400', async () => {
    const truncated = gzipSync(JSON.stringify(createTrackMessage())).subarray(0, 20);
    expect(await send(truncated, { 'content-encoding': 'gzip' })).toMatchObject({
      status: 400,
      body: { code: 'invalid_encoding' },
    });
  });

  it('a gzip bomb (256 KB inflating to 256 MB) → 413, refused at the inflation limit', async () => {
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().rss;

    const answer = await send(bomb, { 'content-encoding': 'gzip' });

    expect(answer).toMatchObject({ status: 413, body: { code: 'payload_too_large' } });
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('JSON nested 100,000 levels deep → quarantined with its reason, not a crash', async () => {
    const deepArray = await send(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const deepProperty = await send(
      `{"type":"track","userId":"u","event":"x","properties":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
    );

    expect(deepArray).toMatchObject({
      status: 200,
      body: { quarantined: 1, errors: [{ code: 'message_too_deep' }] },
    });
    expect(deepProperty).toMatchObject({
      status: 400,
      body: { code: 'invalid_message', message: expect.stringContaining('too deeply') },
    });
  });

  it('__proto__, constructor and prototype keys are stored as data and pollute nothing', async () => {
    const body =
      '{"type":"track","userId":"u","event":"x","messageId":"proto-1","__proto__":{"polluted":1},"properties":{"__proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}}}}';

    expect(await send(body)).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    valid.push('proto-1');
  });

  it('a megabyte string → the message is quarantined as too large; the request is answered', async () => {
    expect(
      await send(JSON.stringify(createTrackMessage({ properties: { blob: 'x'.repeat(1024 * 1024) } }))),
    ).toMatchObject({ status: 400, body: { code: 'invalid_message' } });
    const batch = await send(
      JSON.stringify([createTrackMessage({ properties: { blob: 'y'.repeat(1024 * 1024) } })]),
    );
    expect(batch).toMatchObject({
      status: 200,
      body: { quarantined: 1, errors: [{ code: 'message_too_large' }] },
    });
  });

  it('empty bodies → 400; wrong or missing content types are read as JSON anyway', async () => {
    expect(await send('')).toMatchObject({ status: 400, body: { code: 'empty_body' } });
    const textPlain = createTrackMessage();
    const noType = createTrackMessage();
    expect((await send(JSON.stringify(textPlain), { 'content-type': 'text/plain' })).status).toBe(200);
    expect(
      (
        await rawRequest(destination.url, [
          `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth(token)}\r\nContent-Length: ${Buffer.byteLength(JSON.stringify(noType))}\r\nConnection: close\r\n\r\n${JSON.stringify(noType)}`,
        ])
      ).status,
    ).toBe(200);
    valid.push(textPlain.messageId as string, noType.messageId as string);
  });

  it('duplicate keys → the last one wins, as in JSON.parse', async () => {
    expect(
      await send(
        '{"type":"launch","type":"track","userId":"u","event":"first","event":"Signed Up","messageId":"dup-keys"}',
      ),
    ).toMatchObject({ status: 200 });
    valid.push('dup-keys');
  });

  it('oversized headers → 431 from the HTTP parser, and the server lives on', async () => {
    const answer = await rawRequest(destination.url, [
      `POST / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`,
    ]);
    expect(answer.status).toBe(431);
  });

  it('Authorization in odd casing and spacing is still read', async () => {
    const message = createTrackMessage();
    const raw = `POST /v1/track HTTP/1.1\r\nHost: x\r\naUtHoRiZaTiOn:    bAsIc    ${Buffer.from(`${token}:`).toString('base64')}   \r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(JSON.stringify(message))}\r\nConnection: close\r\n\r\n${JSON.stringify(message)}`;

    expect((await rawRequest(destination.url, [raw])).status).toBe(200);
    valid.push(message.messageId as string);
  });

  it('a client that trickles its headers is cut off by the header timeout', async () => {
    const answer = await rawRequest(
      destination.url,
      [
        'POST / HTTP/1.1\r\n',
        'Host: x\r\n',
        'X-Slow: 1\r\n',
        'X-Slow: 2\r\n',
        'X-Slow: 3\r\n',
        'X-Slow: 4\r\n',
        'X-Slow: 5\r\n',
      ],
      { delayMs: 400, timeoutMs: 8_000 },
    );

    expect(answer.status === 408 || answer.status === null).toBe(true);
    expect(answer.elapsedMs).toBeLessThan(4_000);
  });

  it('a client that trickles its body is cut off by the request timeout, and nothing of it is stored', async () => {
    const body = JSON.stringify(createTrackMessage({ messageId: 'trickled' }));
    const head = `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth(token)}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const answer = await rawRequest(destination.url, [head, ...body.match(/.{1,4}/g)!], {
      delayMs: 300,
      timeoutMs: 10_000,
    });

    expect(answer.status === 408 || answer.status === null).toBe(true);
    expect(answer.elapsedMs).toBeLessThan(6_000);
    await destination.flush();
    expect(readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id)).not.toContain(
      'trickled',
    );
  });

  it('a body over the limit is refused while it streams: 413 long before it is all sent', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const head = `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth(token)}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const chunks = Array.from({ length: 64 }, () =>
      Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
    );

    const answer = await rawRequest(destination.url, [head, ...chunks], { delayMs: 20, timeoutMs: 15_000 });

    expect(answer.status).toBe(413);
    expect(answer.elapsedMs).toBeLessThan(20 * 64);
  });

  it('an 8 MB body gives every Node client a 413, never a reset, 20 times in a row', async () => {
    const body = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 20; i++) {
      const viaFetch = await send(body).then(
        (answer) => answer.status,
        (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
      );
      const viaHttp = await nodeHttpPost(`${destination.url}/`, body, basicAuth(token));
      statuses.push(viaFetch, viaHttp);
    }

    expect(statuses).toEqual(Array.from({ length: 40 }, () => 413));
  });

  it('a declared Content-Length over the limit → 413 before any body is read', async () => {
    const answer = await rawRequest(destination.url, [
      `POST / HTTP/1.1\r\nHost: x\r\nAuthorization: ${basicAuth(token)}\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n{`,
    ]);
    expect(answer.status).toBe(413);
  });

  it('a type named by the route that is not a Segment type → 501 unsupported_type, and quarantined as such', async () => {
    const answer = await post(
      `${destination.url}/v1/purchase`,
      { userId: 'u', messageId: 'purchase-1', event: 'x' },
      token,
    );
    await destination.flush();

    expect(answer).toMatchObject({ status: 501, body: { code: 'unsupported_type' } });
    const kept = readLake(join(dataDir, 'lake'), 'quarantine').find(
      (l) => l.record.message_id === 'purchase-1',
    );
    expect(kept?.record.reason).toMatchObject({ code: 'unsupported_type' });
  });

  it('lands every valid event sent around the hostile ones exactly once', async () => {
    // Its own valid traffic too, so that the test means something when it runs alone.
    for (let i = 0; i < 3; i++) {
      const message = createTrackMessage();
      expect((await post(`${destination.url}/`, message, token)).status).toBe(200);
      valid.push(message.messageId as string);
    }
    await destination.flush();
    const landed = readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id as string);

    for (const id of valid) expect([id, landed.filter((x) => x === id).length]).toEqual([id, 1]);
  });
});

/** A POST with node:http, as analytics-node's older transports send: resolves with the status or the error code. */
function nodeHttpPost(url: string, body: Buffer, authorization: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end(body);
  });
}
