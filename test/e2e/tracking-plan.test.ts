import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLake } from '../../local/read-lake';
import { eventually } from '../support/eventually';
import { createPinnedClock, createTrackMessage } from '../support/factories';
import { makeToken, post, ROOT, useLocalDestination } from '../support/local-destination';

const PLAN = join(ROOT, 'test', 'fixtures', 'plans', 'signup-plan.json');

describe('a tracking plan set with the tokens command, through the HTTP path', () => {
  const local = useLocalDestination('plan-', { clock: createPinnedClock() });
  const tokens = (...args: string[]) =>
    spawnSync(process.execPath, ['--require', 'tsx/cjs', 'bin/tokens.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: local.dataDir },
      encoding: 'utf8',
    });

  it('flags, then quarantines, within the bound the running server re-reads keys in', async () => {
    const { token } = await makeToken(local.dataDir, 'planned');
    let n = 0;
    const send = (event: string, properties: Record<string, unknown>) => {
      n += 1;
      return post(
        `${local.destination.url}/`,
        createTrackMessage({ messageId: `p-${n}`, event, properties }),
        token,
      );
    };
    const landed = async (id: string) => {
      await local.destination.flush();
      const root = join(local.dataDir, 'lake');
      return [...readLake(root, 'events'), ...readLake(root, 'quarantine')].find(
        (l) => l.record.message_id === id,
      )?.record;
    };

    const set = tokens('plan', 'set', '--customer', 'planned', '--file', PLAN);
    expect([set.status, set.stdout]).toEqual([
      0,
      expect.stringContaining('tracking plan set (2 events, mode flag)'),
    ]);
    // The server sees the new plan within ~1 s (it re-reads tokens.json when it changes).
    const flagged = await eventually(
      async () => {
        const answer = await send('sign_up', { plan: 'gold' });
        return { answer, record: await landed(`p-${n}`) };
      },
      ({ record }) => Array.isArray(record?.violations) && (record.violations as unknown[]).length > 0,
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    expect(flagged.answer.status).toBe(200);
    expect(flagged.record).toMatchObject({
      planned: true,
      violations: [{ path: 'properties.plan', rule: 'enum' }],
    });

    const strict = join(local.dataDir, 'strict-plan.json');
    writeFileSync(
      strict,
      JSON.stringify({
        ...JSON.parse(tokens('plan', 'show', '--customer', 'planned', '--json').stdout),
        mode: 'quarantine',
      }),
    );
    expect(tokens('plan', 'set', '--customer', 'planned', '--file', strict).status).toBe(0);
    const refused = await eventually(
      () => send('Signed Up', { plan: 'gold' }),
      (a) => a.status === 400,
      {
        timeoutMs: 5_000,
        intervalMs: 100,
      },
    );
    expect(refused.body).toMatchObject({
      code: 'invalid_message',
      message: expect.stringContaining('tracking plan'),
    });
    expect(await landed(`p-${n}`)).toMatchObject({ area: 'quarantine', reason: { code: 'plan_violation' } });

    expect(tokens('plan', 'clear', '--customer', 'planned').status).toBe(0);
    const cleared = await eventually(
      async () => {
        await send('Signed Up', { plan: 'gold' });
        return landed(`p-${n}`);
      },
      (record) => record?.area === 'events' && record.planned === null,
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    expect(cleared).toMatchObject({ planned: null, violations: [] });
  });

  it('gives a valid, an invalid and an unplanned event their documented outcome in each mode', async () => {
    const { token } = await makeToken(local.dataDir, 'modes');
    const root = join(local.dataDir, 'lake');
    const batch = (tag: string) => [
      createTrackMessage({ messageId: `${tag}-valid`, event: 'signup', properties: { plan: 'pro' } }),
      createTrackMessage({ messageId: `${tag}-invalid`, event: 'Signed Up', properties: { plan: 'gold' } }),
      createTrackMessage({ messageId: `${tag}-unplanned`, event: 'Report Exported' }),
    ];
    const outcome = async (tag: string) => {
      await local.destination.flush();
      const found = (area: 'events' | 'quarantine', id: string) =>
        readLake(root, area).find((l) => l.record.message_id === id)?.record;
      return ['valid', 'invalid', 'unplanned'].map((kind) => {
        const id = `${tag}-${kind}`;
        const event = found('events', id);
        const held = found('quarantine', id);
        return event
          ? ['events', event.planned, (event.violations as { rule: string }[]).map((v) => v.rule)]
          : [
              'quarantine',
              (held?.reason as { code: string } | undefined)?.code,
              ((held?.violations ?? []) as { rule: string }[]).map((v) => v.rule),
            ];
      });
    };
    const strict = join(local.dataDir, 'modes-plan.json');
    const plan = JSON.parse(readFileSync(PLAN, 'utf8'));

    expect(tokens('plan', 'set', '--customer', 'modes', '--file', PLAN).status).toBe(0);
    // Wait for the server to see the plan (≤ ~1 s): a probe event lands as unplanned.
    let probes = 0;
    await eventually(
      async () => {
        probes += 1;
        const id = `probe-${probes}`;
        await post(`${local.destination.url}/`, createTrackMessage({ messageId: id, event: 'Probe' }), token);
        await local.destination.flush();
        return readLake(root, 'events').find((l) => l.record.message_id === id)?.record.planned;
      },
      (planned) => planned === false,
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    expect((await post(`${local.destination.url}/v1/batch`, { batch: batch('flag') }, token)).status).toBe(
      200,
    );
    const flagged = await outcome('flag');
    writeFileSync(strict, JSON.stringify({ ...plan, mode: 'quarantine', allowUnplanned: false }));
    expect(tokens('plan', 'set', '--customer', 'modes', '--file', strict).status).toBe(0);
    // Wait for the server to see the new plan (≤ ~1 s), then send the batch to check.
    await eventually(
      async () =>
        (await post(`${local.destination.url}/`, createTrackMessage({ event: 'Report Exported' }), token))
          .status,
      (status) => status === 400,
      { timeoutMs: 5_000, intervalMs: 100 },
    );
    const answer = await post(`${local.destination.url}/v1/batch`, { batch: batch('strict') }, token);
    const quarantined = await outcome('strict');

    expect(flagged).toEqual([
      ['events', true, []],
      ['events', true, ['enum']],
      ['events', false, []],
    ]);
    expect(answer.body).toMatchObject({ accepted: 1, quarantined: 2 });
    expect(quarantined).toEqual([
      ['events', true, []],
      ['quarantine', 'plan_violation', ['enum']],
      ['quarantine', 'plan_violation', ['unplanned']],
    ]);
  });

  it('refuses a plan whose schema does not compile, and names the problem', async () => {
    // Its own customer: the plan's schema is what fails, not a customer an earlier test made.
    await makeToken(local.dataDir, 'uncompiled');
    const bad = join(local.dataDir, 'bad-plan.json');
    writeFileSync(bad, JSON.stringify({ mode: 'flag', events: { X: { properties: { type: 'nonsense' } } } }));

    const result = tokens('plan', 'set', '--customer', 'uncompiled', '--file', bad);

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/does not compile/);
  });
});
