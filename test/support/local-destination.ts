import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTokenStore } from '../../lambdas/adapters/local/file-token-store';
import { createToken } from '../../lambdas/core/token-admin';
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
  const { token, record } = await createToken(new FileTokenStore(dataDir), customerId);
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
export async function spawnDestination(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  childOutputs.push(() => output);
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 20 s: ${output}`)), 20_000);
    const check = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

export function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}
