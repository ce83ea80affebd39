import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { seededRandom } from '../../domain/core/common/seeded-random';
import { compilePlan, parsePlan } from '../../domain/core/quality/tracking-plan';
import { readLake } from '../../local/read-lake';
import { createIdentifyMessage, createTrackMessage } from '../support/factories';
import { makeToken, post, ROOT, useLocalDestination } from '../support/local-destination';

describe('npm run plan -- infer', () => {
  // The system clock: inference reads "the last 30 days" by receive time.
  const local = useLocalDestination('infer-');

  it('proposes a plan from a seeded lake that the same lake satisfies', async () => {
    const { token } = await makeToken(local.dataDir, 'seeded');
    const random = seededRandom(42);
    const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
    const batch = Array.from({ length: 300 }, (_, i) => {
      const kind = i % 3;
      if (kind === 0)
        return createTrackMessage({
          event: pick(['sign_up', 'Signed Up', 'signup']),
          properties: {
            plan: pick(['free', 'pro', 'enterprise']),
            seats: 1 + Math.floor(random() * 50),
            ...(random() < 0.3 ? { coupon: `C${i}` } : {}),
          },
        });
      if (kind === 1)
        return createTrackMessage({
          event: 'Order Completed',
          properties: { order_id: `o-${i}`, revenue: Math.round(random() * 10_000) / 100, currency: 'EUR' },
        });
      return createIdentifyMessage({ traits: { email: `u${i}@example.com`, plan: pick(['free', 'pro']) } });
    });
    expect((await post(`${local.destination.url}/v1/batch`, { batch }, token)).status).toBe(200);
    await local.destination.flush();

    const run = spawnSync(
      process.execPath,
      ['--require', 'tsx/cjs', 'scripts/plan.ts', 'infer', '--customer', 'seeded'],
      {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: local.dataDir },
        encoding: 'utf8',
      },
    );
    expect([run.status, run.stderr.trim()]).toEqual([
      0,
      expect.stringContaining('plan: 2 track events and identify traits from 300 events'),
    ]);
    const plan = parsePlan(JSON.parse(run.stdout)); // a plan the tokens command would accept

    expect(plan.events['Signed Up']!.properties).toMatchObject({
      properties: {
        plan: { type: 'string', enum: ['enterprise', 'free', 'pro'] },
        seats: { type: 'integer' },
        coupon: { type: 'string' },
      },
      required: ['plan', 'seats'], // coupon is in ~30 % of them: optional
    });
    expect(plan.events['Order Completed']!.properties).toMatchObject({
      properties: { order_id: { type: 'string' }, revenue: { type: 'number' }, currency: { type: 'string' } },
    });
    expect(
      (plan.events['Order Completed']!.properties as { properties: { order_id: object } }).properties
        .order_id,
    ).not.toHaveProperty('enum');
    const check = compilePlan(plan);
    const events = readLake(join(local.dataDir, 'lake'), 'events').filter(
      (l) => l.record.customer_id === 'seeded',
    );
    expect(events).toHaveLength(300);
    const violations = events.flatMap(
      ({ record }) =>
        check.check(
          String(record.type),
          record.event_key as string | null,
          record.message as Record<string, unknown>,
        ).violations,
    );
    expect(violations).toEqual([]);
  });

  it('refuses to run without a customer, and says so', () => {
    const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/plan.ts', 'infer'], {
      cwd: ROOT,
      encoding: 'utf8',
    });

    expect([run.status, run.stderr.trim()]).toEqual([2, 'plan: --customer <id> is required (see --help)']);
  });
});
