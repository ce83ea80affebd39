import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTokenStore } from '../../adapters/local/file-token-store';
import { jsonLogger } from '../../adapters/system/json-logger';
import { createToken } from '../../domain/core/keys/token-admin';
import { type LocalDestination, type LocalServerOptions, startLocalServer } from '../../local/local-server';
import { spawnDestination as spawnLocalDestination } from '../../local/spawn-destination';
import { TEST_NOW } from './factories';
import { childOutputs } from './secrets';

export const ROOT = join(__dirname, '..', '..');

export function tempDataDir(prefix = 'dest-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A key for a customer, made through the same store `npm run tokens` uses. */
export async function makeToken(
  dataDir: string,
  customerId = 'acme',
): Promise<{ token: string; tokenId: string }> {
  const { token, record } = await createToken(new FileTokenStore(dataDir), customerId, TEST_NOW);
  return { token, tokenId: record.tokenId };
}

export const basicAuth = (token: string) => `Basic ${Buffer.from(`${token}:`).toString('base64')}`;

/** POSTs JSON (or raw bytes) the way Segment does. */
export async function post(
  url: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Segment.io/1.0',
      ...(token ? { authorization: basicAuth(token) } : {}),
      ...headers,
    },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

/** Runs `local/main.ts` in its own process (as `npm start` does) and waits for its banner. */
export async function spawnDestination(dataDir: string, env: Record<string, string> = {}) {
  const server = await spawnLocalDestination({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...env });
  childOutputs.push(server.output);
  return server;
}

export function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/**
 * The local destination in this process on a free port, with a fresh data directory and the JSON
 * logger (its lines go through the log capture), started before the suite and stopped after it.
 */
export function useLocalDestination(prefix: string, options: Partial<LocalServerOptions> = {}) {
  const handle = { dataDir: '', destination: undefined as unknown as LocalDestination };
  beforeAll(async () => {
    handle.dataDir = tempDataDir(prefix);
    handle.destination = await startLocalServer({
      dataDir: handle.dataDir,
      port: 0,
      logger: jsonLogger('e2e'),
      flushIntervalMs: 200,
      ...options,
    });
  });
  afterAll(async () => {
    await handle.destination.close();
    rmSync(handle.dataDir, { recursive: true, force: true });
  });
  return handle;
}
