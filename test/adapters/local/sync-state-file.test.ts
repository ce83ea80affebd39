import { appendFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyncStateFile } from '../../../adapters/local/sync-state-file';
import { tempDataDir } from '../../support/local-destination';

describe('the audience sync’s record of what it sent', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDataDir('sync-state-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends each delivered batch (its own bytes, not the whole state), and folds it in at the end', () => {
    const path = join(dir, 'acme.json');
    const state = new SyncStateFile(path);
    const batch = (from: number) =>
      Array.from({ length: 1_000 }, (_, i) => ({
        user: `u${String(from + i).padStart(31, '0')}`,
        sent: 'f'.repeat(32),
      }));
    state.record(batch(0));
    const afterOne = statSync(`${path}.journal`).size;
    state.record(batch(1_000));
    // The second batch added its own ~70 bytes a user, whatever the state holds.
    expect(statSync(`${path}.journal`).size - afterOne).toBe(afterOne);
    expect(Object.keys(new SyncStateFile(path).read())).toHaveLength(2_000);

    state.compact();
    expect(() => statSync(`${path}.journal`)).toThrow();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1 });
    expect(Object.keys(new SyncStateFile(path).read())).toHaveLength(2_000);
  });

  it('reads the last release’s state file as it is, and survives a line a crash cut short', () => {
    const path = join(dir, 'acme.json');
    writeFileSync(path, `${JSON.stringify({ version: 1, sent: { old: 'a' } })}\n`);
    const state = new SyncStateFile(path);
    state.record([{ user: 'new', sent: 'b' }]);
    appendFileSync(`${path}.journal`, '{"u":"torn","s":"c');
    expect(new SyncStateFile(path).read()).toEqual({ old: 'a', new: 'b' });
  });
});
