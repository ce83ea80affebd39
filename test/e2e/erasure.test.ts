import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { FileErasureLog } from '../../adapters/local/file-erasure-log';
import { jsonLogger } from '../../adapters/system/json-logger';
import { localCompleteness } from '../../local/completeness';
import { runErasure } from '../../local/erasure/run-erasure';
import { openLocalLake } from '../../local/lake-query';
import { type LocalDestination, startLocalServer } from '../../local/local-server';
import { readLake } from '../../local/read-lake';
import { runCompaction } from '../../scripts/compact/run-compaction';
import { createPinnedClock, TEST_NOW } from '../support/factories';
import { makeToken, post, ROOT, tempDataDir } from '../support/local-destination';

// The user Segment asks us to erase, an anonymous id only their own data links to them, and the same
// user id at another customer (never touched).
const USER = 'user-7f3a9c';
const ANON = 'anon-51e2d8';
const DELETE_AT = '2026-11-28T11:00:00.000Z';

/** Every byte of every file under a directory, gzip and Parquet opened, as text. */
async function everyFileText(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const db = await DuckDBInstance.create(':memory:');
  const duck = await db.connect();
  const walk = async (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) await walk(path);
      else if (name.endsWith('.parquet')) {
        const rows = (await duck.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowObjects();
        out.set(
          path,
          JSON.stringify(rows, (_k, value) => (typeof value === 'bigint' ? String(value) : value)),
        );
      } else {
        const bytes = readFileSync(path);
        out.set(
          path,
          bytes[0] === 0x1f && bytes[1] === 0x8b
            ? gunzipSync(bytes).toString('utf8')
            : bytes.toString('latin1'),
        );
      }
    }
  };
  await walk(dir);
  duck.closeSync();
  db.closeSync();
  return out;
}

describe('Segment delete, end to end on the local destination', () => {
  let dataDir: string;
  let destination: LocalDestination;
  let acme: string;
  let other: string;

  beforeAll(async () => {
    dataDir = tempDataDir('erase-');
    ({ token: acme } = await makeToken(dataDir, 'acme'));
    ({ token: other } = await makeToken(dataDir, 'globex'));
    destination = await startLocalServer({
      dataDir,
      port: 0,
      logger: jsonLogger('e2e'),
      flushIntervalMs: 200,
      clock: createPinnedClock(),
    });
  });
  afterAll(async () => {
    await destination?.close();
  });

  const send = (body: unknown, token = acme, path = '/v1/batch') =>
    post(`${destination.url}${path}`, body, token);
  const before = '2026-11-28T10:00:00.000Z';
  const after = '2026-11-28T11:30:00.000Z';

  // One story, in order (the steps build on each other), so the suite passes in any test order.
  it('refuses a delete without userId, then erases the user and linked anonymous ids of that customer only, everywhere, and proves it', async () => {
    const refused = await send({ type: 'delete', messageId: 'del-no-user' }, acme, '/v1/delete');
    expect(refused.status).toBe(400);
    expect(String(refused.body.message)).toMatch(/delete needs the "userId"/);
    expect(new FileErasureLog(dataDir).all()).toHaveLength(0);

    // Before the delete: the anonymous history, the identify that links it, events, a quarantined message.
    expect(
      (
        await send({
          batch: [
            {
              type: 'page',
              anonymousId: ANON,
              messageId: 'm-anon-page',
              receivedAt: before,
              properties: { p: 1 },
            },
            {
              type: 'identify',
              userId: USER,
              anonymousId: ANON,
              messageId: 'm-identify',
              receivedAt: before,
              traits: { email: 'x@example.com' },
            },
            { type: 'track', user_id: USER, event: 'Signed Up', messageId: 'm-track', receivedAt: before },
            { type: 'track', userId: USER, messageId: 'm-bad', receivedAt: before },
            {
              type: 'track',
              userId: 'someone-else',
              event: 'Signed Up',
              messageId: 'm-keep',
              receivedAt: before,
            },
          ],
        })
      ).status,
    ).toBe(200);
    // The same user id at another customer.
    expect(
      (
        await send(
          { type: 'track', userId: USER, event: 'Signed Up', messageId: 'g-track', receivedAt: before },
          other,
          '/v1/track',
        )
      ).status,
    ).toBe(200);
    // Firehose error output that holds one of the user's records (redrive's input).
    await destination.flush();
    const line = readLake(join(dataDir, 'lake'), 'events').find((l) => l.record.message_id === 'm-track')!;
    mkdirSync(join(dataDir, 'lake', 'errors', 'processing-failed'), { recursive: true });
    writeFileSync(
      join(dataDir, 'lake', 'errors', 'processing-failed', 'x.gz'),
      gzipSync(
        `${JSON.stringify({ errorCode: 'X', rawData: Buffer.from(`${JSON.stringify(line.record)}\n`).toString('base64') })}\n`,
      ),
    );
    await runCompaction({ lakeRoot: join(dataDir, 'lake') });

    // The delete, then a Segment retry of old data (dropped) and new data (kept).
    const del = {
      type: 'delete',
      channel: 'server',
      userId: USER,
      context: null,
      integrations: null,
      messageId: 'delete-reg-1::job-2',
      projectId: 'P',
      timestamp: DELETE_AT,
      receivedAt: DELETE_AT,
      sentAt: DELETE_AT,
    };
    const recorded = await send(del, acme, '/v1/delete');
    expect(recorded).toMatchObject({ status: 200, body: { deletes: 1 } });
    expect((await send(del, acme, '/v1/delete')).status).toBe(200); // a resend: the same request
    const resend = await send({
      batch: [
        { type: 'track', userId: USER, event: 'Old', messageId: 'm-late', receivedAt: before },
        { type: 'track', userId: USER, event: 'New', messageId: 'm-new', receivedAt: after },
      ],
    });
    expect(resend.body).toMatchObject({ accepted: 1, erased: 1 });
    const log = new FileErasureLog(dataDir);
    expect(log.all()).toEqual([
      expect.objectContaining({ customer_id: 'acme', status: 'pending', message_id: del.messageId }),
    ]);

    await destination.eraseDue({ all: true });

    const texts = await everyFileText(dataDir);
    for (const [path, text] of texts) {
      if (path.includes('customer_id=globex')) continue;
      // What Segment received after the delete is new data, kept: its lines are left out of the search.
      const searched = text
        .split('\n')
        .filter((l) => !l.includes('m-new'))
        .join('\n');
      for (const secret of [
        USER,
        ANON,
        'x@example.com',
        'm-anon-page',
        'm-identify',
        'm-track',
        'm-bad',
        'm-late',
      ])
        expect([path, secret, searched.includes(secret)]).toEqual([path, secret, false]);
    }
    const lake = join(dataDir, 'lake');
    const ids = readLake(lake, 'events').map((l) => l.record.message_id);
    expect(ids).toEqual(expect.arrayContaining(['m-keep', 'm-new', 'g-track']));
    expect(ids).not.toContain('m-late');
    // The other customer's copy of the same user id is untouched.
    expect(readLake(lake, 'events').find((l) => l.record.message_id === 'g-track')?.record.user_id).toBe(
      USER,
    );

    const [entry] = new FileErasureLog(dataDir).all();
    expect(entry).toMatchObject({ status: 'done', remaining_after: 0 });
    expect(entry!.user_id).toBeUndefined();
    expect(entry!.linked_hashes).toHaveLength(1);
    expect(entry!.rows_removed).toMatchObject({ events: 3, quarantine: 1, errors: 1, curated: 3 });
    // Completeness counts erased rows as erased, never as missing.
    const rows = await localCompleteness(lake);
    expect(rows.filter((r) => r.customer_id === 'acme').map((r) => [r.missing, r.erased])).toEqual([[0, 3]]);

    // The completeness view (the SQL Athena runs too) agrees: erased, not missing.
    const querier = await openLocalLake(lake);
    const view = await querier.query("SELECT missing, erased FROM completeness WHERE customer_id = 'acme'");
    querier.close();
    expect(view.rows.map((r) => [Number(r.missing), Number(r.erased)])).toEqual([[0, 3]]);

    // A second run changes nothing.
    const again = await runErasure({
      dataDir,
      log: new FileErasureLog(dataDir),
      now: () => TEST_NOW.getTime(),
      windowHours: 72,
      all: true,
    });
    expect(again).toEqual([]);

    // npm run erase -- --list --json: the audit, without the user id.
    const out = execFileSync(
      process.execPath,
      ['--require', 'tsx/cjs', 'scripts/erase.ts', '--list', '--json'],
      {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir },
        encoding: 'utf8',
      },
    );
    const list = JSON.parse(out) as Record<string, unknown>[];
    expect(list).toEqual([expect.objectContaining({ customerId: 'acme', status: 'done', rowsRemoved: 8 })]);
    expect(out).not.toContain(USER);
    expect(existsSync(join(dataDir, 'erasure', 'audit.key'))).toBe(true);
  });

  it('npm run erase -- --now is refused while the server owns the DATA_DIR, naming it', () => {
    const out = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/erase.ts', '--now'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/in use by npm start/);
  });
});
