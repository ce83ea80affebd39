import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirLockPath } from '../../local/data-dir-lock';
import { readLake } from '../../local/read-lake';
import { createTrackMessage } from '../support/factories';
import {
  makeToken,
  post,
  ROOT,
  spawnDestination,
  tempDataDir,
  waitForExit,
} from '../support/local-destination';

describe('one owner per DATA_DIR', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = tempDataDir('owner-');
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a second server and a redrive while the first one runs, losing nothing', async () => {
    const { token } = await makeToken(dataDir);
    const first = await spawnDestination(dataDir, { FLUSH_INTERVAL_MS: '600000' });
    const acknowledged: string[] = [];
    const send = async (id: string) => {
      const answer = await post(`${first.url}/`, createTrackMessage({ messageId: id }), token);
      if (answer.status === 200) acknowledged.push(id);
    };
    await send('before-second');

    const second = await spawnDestination(dataDir).then(
      () => 'started',
      (error: Error) => error.message,
    );
    await send('between');
    const redrive = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/redrive.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    await send('after-redrive');
    first.child.kill('SIGTERM');
    expect(await waitForExit(first.child)).toBe(0);

    const pid = first.child.pid!;
    expect(second).toMatch(
      new RegExp(`exited with 1: .*in use by npm start \\(pid ${pid}, listening on ${first.url}`, 's'),
    );
    expect(redrive.status).toBe(1);
    expect(redrive.stderr).toMatch(
      new RegExp(`in use by npm start \\(pid ${pid}, listening on ${first.url}`),
    );
    const landed = readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id);
    expect(acknowledged).toEqual(['before-second', 'between', 'after-redrive']);
    expect(landed.sort()).toEqual([...acknowledged].sort());
  });

  it('starts at once after the owner was killed with -9: staleness is the owner being gone, not the lock’s age', async () => {
    const { token } = await makeToken(dataDir);
    const first = await spawnDestination(dataDir, { FLUSH_INTERVAL_MS: '600000' });
    expect((await post(`${first.url}/`, createTrackMessage({ messageId: 'pre-kill' }), token)).status).toBe(
      200,
    );
    first.child.kill('SIGKILL');
    await waitForExit(first.child);
    // The dead owner's lock is still there, seconds old: the server neither waits for a lock nor ages
    // it out, so starting at all proves it judged the lock by its owner's pid.
    expect(JSON.parse(readFileSync(dataDirLockPath(dataDir), 'utf8'))).toMatchObject({
      pid: first.child.pid,
    });

    const second = await spawnDestination(dataDir);
    second.child.kill('SIGTERM');
    expect(await waitForExit(second.child)).toBe(0);

    expect(second.output()).toMatch(/recovered 1 spooled segment/);
    expect(readLake(join(dataDir, 'lake'), 'events').map((l) => l.record.message_id)).toEqual(['pre-kill']);
  });

  it('refuses to start on a damaged token file, in one line that names the file', async () => {
    writeFileSync(join(dataDir, 'tokens.json'), '');

    const failure = await spawnDestination(dataDir).then(
      () => 'started',
      (error: Error) => error.message,
    );

    expect(failure).toContain(
      `npm start: cannot start: ${join(dataDir, 'tokens.json')} is damaged: the file is empty`,
    );
    expect(failure).not.toMatch(/\n\s+at /); // no stack trace
  });
});
