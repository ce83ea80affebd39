import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeTableCommand, DynamoDBClient, TagResourceCommand } from '@aws-sdk/client-dynamodb';
import { CAPACITY_TAG } from '../../domain/contract/token-table';
import { createTokenTable, type Emulator, emulatorClientConfig, startDynalite } from '../support/emulators';
import { ROOT, tempDataDir } from '../support/local-destination';

const execFileAsync = promisify(execFile);

function tokens(dataDir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'bin/tokens.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run tokens', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = tempDataDir('cli-');
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('lists keys as an aligned table with a header and lastUsedAt', () => {
    tokens(dataDir, 'create', '--customer', 'table-co');

    const listed = tokens(dataDir, 'list', '--customer', 'table-co');

    const [header, row] = listed.stdout.trim().split('\n');
    expect(header).toMatch(/^KEY\s+CUSTOMER\s+STATUS\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(row).toMatch(/^tok_[0-9a-f]+\s+table-co\s+active\s+\S+\s+-\s+-$/);
    expect(header!.indexOf('CUSTOMER')).toBe(row!.indexOf('table-co'));
  });

  it('issues, lists and revokes operator keys apart from write keys, showing each key once', () => {
    const created = tokens(dataDir, 'operator', 'create', '--json');
    expect(created.status).toBe(0);
    const key = JSON.parse(created.stdout) as { token: string; tokenId: string; name: string };
    expect(Object.keys(key).sort()).toEqual(['name', 'token', 'tokenId']);
    expect(key.token).toMatch(/^sgo_[A-Za-z0-9_-]{43}$/);
    expect(key.name).toBe(key.tokenId);
    const named = JSON.parse(
      tokens(dataDir, 'operator', 'create', '--name', 'Dana (on call)', '--json').stdout,
    );
    expect(named.name).toBe('Dana (on call)');

    // Hashed at rest, in their own file: neither key is in it, nor in the customers' one.
    const stored = readFileSync(join(dataDir, 'operators.json'), 'utf8');
    expect(stored).not.toContain(key.token);
    expect(stored).toContain(key.tokenId);
    expect(tokens(dataDir, 'list', '--json').stdout).not.toContain(key.tokenId);

    const listed = JSON.parse(tokens(dataDir, 'operator', 'list', '--json').stdout) as Record<
      string,
      unknown
    >[];
    expect(listed.map((o) => o.name)).toEqual([key.tokenId, 'Dana (on call)']);
    expect(JSON.stringify(listed)).not.toMatch(/tokenHash|sgo_/);
    const revoked = JSON.parse(tokens(dataDir, 'operator', 'revoke', key.tokenId, '--json').stdout);
    expect(revoked).toMatchObject({ tokenId: key.tokenId, status: 'revoked' });
    expect(tokens(dataDir, 'operator', 'revoke', 'opk_00').status).toBe(2);
    expect(tokens(dataDir, 'operator', 'create', '--name', ' leading space').status).toBe(2);
  });

  it('refuses settings for a customer that does not exist, suggesting the close ones', () => {
    tokens(dataDir, 'create', '--customer', 'northwind');

    const typo = tokens(dataDir, 'disable', '--customer', 'nortwind');

    expect(typo.status).toBe(2);
    expect(typo.stderr.trim()).toBe(
      'tokens: No customer "nortwind"; did you mean "northwind"? (a customer exists once it has been issued a key).',
    );
  });

  it('accepts only an https redirect URL for an enable link (http on localhost only when asked)', () => {
    const notUrl = tokens(dataDir, 'enable-link', '--customer', 'x', '--redirect-url', 'notaurl');
    const http = tokens(
      dataDir,
      'enable-link',
      '--customer',
      'x',
      '--redirect-url',
      'http://example.com/done',
    );
    const local = tokens(
      dataDir,
      'enable-link',
      '--customer',
      'x',
      '--redirect-url',
      'http://localhost:3000/enable/callback',
    );
    const allowed = tokens(
      dataDir,
      'enable-link',
      '--customer',
      'x',
      '--redirect-url',
      'http://localhost:3000/enable/callback',
      '--allow-http-localhost',
      '--json',
    );

    expect([notUrl.status, http.status, local.status, allowed.status]).toEqual([2, 2, 2, 0]);
    expect(http.stderr).toMatch(/must be https/);
    expect(local.stderr).toMatch(/--allow-http-localhost/);
    expect(JSON.parse(allowed.stdout).enableUrl).toMatch(/^https:\/\/app\.segment\.com\/enable\?/);
  });

  it('creates a key, printing it once as JSON, and stores only its hash', () => {
    const created = tokens(dataDir, 'create', '--customer', 'acme', '--json');

    expect(created.status).toBe(0);
    const printed = JSON.parse(created.stdout);
    expect(printed).toMatchObject({
      token: expect.stringMatching(/^sgl_/),
      tokenId: expect.stringMatching(/^tok_/),
      customerId: 'acme',
      status: 'active',
    });
    expect(readFileSync(join(dataDir, 'tokens.json'), 'utf8')).not.toContain(printed.token);
  });

  it('lists keys without secrets, and revokes one', () => {
    const { tokenId, token } = JSON.parse(tokens(dataDir, 'create', '--customer', 'beta', '--json').stdout);

    const listed = tokens(dataDir, 'list', '--customer', 'beta', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ tokenId, customerId: 'beta', status: 'active' }),
    ]);
    expect(listed.stdout).not.toContain(token);
    expect(listed.stdout).not.toContain('tokenHash');

    expect(tokens(dataDir, 'revoke', tokenId).status).toBe(0);
    expect(JSON.parse(tokens(dataDir, 'list', '--customer', 'beta', '--json').stdout)[0]).toMatchObject({
      status: 'revoked',
      revokedAt: expect.any(String),
    });
  });

  it('sets customer aliases', () => {
    // A customer of its own (it exists once it has a key): the test runs alone or in any order.
    expect(tokens(dataDir, 'create', '--customer', 'aliased').status).toBe(0);
    expect(
      tokens(dataDir, 'alias', 'set', '--customer', 'aliased', '--from', 'Joined', '--to', 'Signed Up')
        .status,
    ).toBe(0);

    expect(JSON.parse(tokens(dataDir, 'alias', 'list', '--customer', 'aliased', '--json').stdout)).toEqual({
      Joined: 'Signed Up',
    });
  });

  it('explains mistakes with exit code 2', () => {
    const bad = tokens(dataDir, 'create', '--customer', '../etc');
    const unknown = tokens(dataDir, 'revoke', 'tok_nope');
    const missing = tokens(dataDir, 'create');

    expect([bad.status, unknown.status, missing.status]).toEqual([2, 2, 2]);
    expect(bad.stderr).toMatch(/--customer must be a customer id, not "\.\.\/etc"/);
    expect(unknown.stderr).toMatch(/no key/);
    expect(missing.stderr).toMatch(/--customer/);
  });
});

describe('npm run tokens -- --table (the deployed DynamoDB table)', () => {
  let dynamo: Emulator;
  beforeAll(async () => {
    dynamo = await startDynalite();
    await createTokenTable(new DynamoDBClient(emulatorClientConfig(dynamo.endpoint)), 'prod-tokens');
  });
  afterAll(() => dynamo.close());

  it('creates, lists and revokes keys in the table with the standard credential chain', async () => {
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    // Asynchronous: the emulator runs in this process, so a synchronous spawn would block it.
    const run = (...args: string[]) =>
      execFileAsync(
        process.execPath,
        ['--require', 'tsx/cjs', 'bin/tokens.ts', ...args, '--table', 'prod-tokens'],
        { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' },
      );

    const created = await run('create', '--customer', 'acme', '--json');
    const { tokenId } = JSON.parse(created.stdout);

    expect(JSON.parse((await run('list', '--customer', 'acme', '--json')).stdout)).toEqual([
      expect.objectContaining({ tokenId, status: 'active' }),
    ]);
    await run('revoke', tokenId);
    expect(JSON.parse((await run('list', '--customer', 'acme', '--json')).stdout)[0]).toMatchObject({
      status: 'revoked',
    });
  });

  it('warns on stderr when a key makes more customers than the maxCustomers tagged on the table', async () => {
    const client = new DynamoDBClient(emulatorClientConfig(dynamo.endpoint));
    await createTokenTable(client, 'small-tokens');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'small-tokens' }));
    await client.send(
      new TagResourceCommand({
        ResourceArn: Table!.TableArn,
        Tags: [{ Key: CAPACITY_TAG, Value: '1' }],
      }),
    );
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    const create = (customer: string) =>
      execFileAsync(
        process.execPath,
        [
          '--require',
          'tsx/cjs',
          'bin/tokens.ts',
          'create',
          '--customer',
          customer,
          '--json',
          '--table',
          'small-tokens',
        ],
        { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' },
      );

    const first = await create('first');
    const second = await create('second');

    expect(first.stderr).toBe('');
    expect(JSON.parse(second.stdout)).toMatchObject({ customerId: 'second', status: 'active' });
    expect(second.stderr).toMatch(
      /WARNING: this stack is sized for 1 customers \(maxCustomers\) and 2 now have/,
    );
  });
});
