import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTokenStore } from '../../../adapters/local/file-token-store';
import { acquirePidLock } from '../../../adapters/local/pid-lock';
import { createToken, revokeToken } from '../../../domain/core/keys/token-admin';
import { hashToken } from '../../../domain/core/keys/tokens';
import { TEST_NOW } from '../../support/factories';

describe('FileTokenStore', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tokens-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('persists only hashes, in a file only its owner can read', async () => {
    const { token } = await createToken(new FileTokenStore(dataDir), 'acme', TEST_NOW);

    const file = readFileSync(join(dataDir, 'tokens.json'), 'utf8');

    expect(file).not.toContain(token);
    expect(file).toContain(hashToken(token));
    expect(statSync(join(dataDir, 'tokens.json')).mode & 0o077).toBe(0);
  });

  it('sees keys created and revoked by another process within the recheck interval', async () => {
    const server = new FileTokenStore(dataDir, 0);
    const cli = new FileTokenStore(dataDir);
    expect(await server.listTokens()).toEqual([]);

    const { token, record } = await createToken(cli, 'acme', TEST_NOW);
    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'active' });

    await revokeToken(cli, record.tokenId, TEST_NOW);
    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'revoked' });
  });

  // Found by `npm run load`, which creates its customers' keys at once: two writers in one process
  // shared one temporary lock file name, and one removed the other's (ENOENT on link).
  it('keeps every key when one process creates many at once', async () => {
    const store = new FileTokenStore(dataDir);
    const customers = Array.from({ length: 12 }, (_, i) => `c${i}`);

    const created = await Promise.all(customers.map((c) => createToken(store, c, TEST_NOW)));

    const listed = await new FileTokenStore(dataDir).listTokens();
    expect(listed.map((t) => t.customerId).sort()).toEqual([...customers].sort());
    for (const { token } of created)
      expect(await store.findByHash(hashToken(token))).toMatchObject({ status: 'active' });
  });
});

describe('a token file that cannot silently lose keys', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tokens-damage-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** A running server's store (re-reading the file at every call), loaded after a key was created. */
  async function runningServerWithAKey() {
    const errors: string[] = [];
    const log = () => undefined;
    const server = new FileTokenStore(dataDir, {
      recheckMs: 0,
      logger: { info: log, warn: log, error: (m) => errors.push(m) },
    });
    const { token } = await createToken(new FileTokenStore(dataDir), 'acme', TEST_NOW);
    server.load();
    return { server, errors, token };
  }

  it.each([
    ['an empty file', '', /tokens\.json is damaged: the file is empty/],
    ['a cut-off file', '{"tokens": [', /tokens\.json is damaged: not JSON/],
    [
      'a wrong shape',
      '{"tokens": [{"tokenId": 1}], "customers": []}',
      /tokens\.json is damaged: tokens\.0\.tokenId/,
    ],
  ])('refuses to load %s, naming the file and what is wrong', (_name, content, message) => {
    writeFileSync(join(dataDir, 'tokens.json'), content);

    expect(() => new FileTokenStore(dataDir).load()).toThrow(message);
  });

  it('keeps serving the last good copy when the file is damaged while running, and says so once', async () => {
    const { server, errors, token } = await runningServerWithAKey();
    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'active' });

    writeFileSync(join(dataDir, 'tokens.json'), '');

    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'active' });
    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'active' });
    expect(errors).toEqual(['token file damaged; serving the last good copy until it is mended']);
  });

  it('keeps its keys when the file is deleted under the running server, and never writes the loss back', async () => {
    const { server, errors, token } = await runningServerWithAKey();

    rmSync(join(dataDir, 'tokens.json'));

    // Still a 200 for every key, not a 401 Segment would not retry; and loudly said.
    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'active' });
    expect(errors).toEqual(['token file damaged; serving the last good copy until it is mended']);
    // A write (the usage flush) refuses rather than persist "no keys".
    await server.recordUse(hashToken(token), TEST_NOW, TEST_NOW);
    await expect(server.flushUsage()).rejects.toThrow(/deleted while the server had keys/);
  });

  it('refuses at start a tracking plan that does not compile, naming its customer; while running, keeps it out', async () => {
    const { token } = await createToken(new FileTokenStore(dataDir), 'acme', TEST_NOW);
    const file = join(dataDir, 'tokens.json');
    const good = readFileSync(file, 'utf8');
    const data = JSON.parse(good);
    data.customers[0].trackingPlan = {
      mode: 'flag',
      allowUnplanned: true,
      events: { 'Signed Up': { properties: { type: 'not-a-json-schema-type' } } },
    };
    const server = new FileTokenStore(dataDir, { recheckMs: 0 });
    server.load();

    writeFileSync(file, JSON.stringify(data));

    expect(() => new FileTokenStore(dataDir).load()).toThrow(
      /customer "acme" has a tracking plan that does not compile/,
    );
    // The running server goes on with the last good copy: no 500 at request time.
    expect(await server.getCustomer('acme')).not.toHaveProperty('trackingPlan');
    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'active' });
  });

  it('never overwrites a damaged file: a write fails with the damage named', async () => {
    writeFileSync(join(dataDir, 'tokens.json'), '{"tokens": [');

    await expect(createToken(new FileTokenStore(dataDir), 'acme', TEST_NOW)).rejects.toThrow(/is damaged/);
    expect(readFileSync(join(dataDir, 'tokens.json'), 'utf8')).toBe('{"tokens": [');
  });

  it('writes lastUsedAt off the request path: a held lock delays the write, never the caller', async () => {
    const { token, record } = await createToken(new FileTokenStore(dataDir), 'acme', TEST_NOW);
    const server = new FileTokenStore(dataDir, { recheckMs: 0, usageFlushMs: 10 });
    const lock = await acquirePidLock(join(dataDir, 'tokens.json.lock'), 'test');

    await server.recordUse(
      hashToken(token),
      new Date('2026-11-28T12:00:00Z'),
      new Date('2026-11-28T11:55:00Z'),
    );
    const whileHeld = (await server.listTokens())[0]!;
    await lock.release();
    await server.flushUsage();

    expect(whileHeld.lastUsedAt).toBeUndefined();
    expect((await server.listTokens()).find((t) => t.tokenId === record.tokenId)!.lastUsedAt).toBe(
      '2026-11-28T12:00:00.000Z',
    );
  });
});
