import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTokenStore } from '../../lambdas/adapters/local/file-token-store';
import { createToken, revokeToken } from '../../lambdas/core/token-admin';
import { hashToken } from '../../lambdas/core/tokens';

describe('FileTokenStore', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tokens-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('persists only hashes, in a file only its owner can read', async () => {
    const { token } = await createToken(new FileTokenStore(dataDir), 'acme');

    const file = readFileSync(join(dataDir, 'tokens.json'), 'utf8');

    expect(file).not.toContain(token);
    expect(file).toContain(hashToken(token));
    expect(statSync(join(dataDir, 'tokens.json')).mode & 0o077).toBe(0);
  });

  it('sees keys created and revoked by another process within the recheck interval', async () => {
    const server = new FileTokenStore(dataDir, 0);
    const cli = new FileTokenStore(dataDir);
    expect(await server.listTokens()).toEqual([]);

    const { token, record } = await createToken(cli, 'acme');
    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'active' });

    await revokeToken(cli, record.tokenId);
    expect(await server.findByHash(hashToken(token))).toMatchObject({ status: 'revoked' });
  });
});
