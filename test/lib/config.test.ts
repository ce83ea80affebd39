import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingNotices } from '../../lib/capacity-line';
import { CONFIG_KEYS, readStackConfig, settingsFromContext } from '../../lib/config';
import { ROOT } from '../support/local-destination';

describe('stack settings, validated at synth', () => {
  it('has the defaults the README states, read from the schema rather than copied here', () => {
    const defaults = readStackConfig({}) as unknown as Record<string, unknown>;
    const stated = readmeDefaults();
    const keys = CONFIG_KEYS.filter((key) => defaults[key] !== undefined);
    // Every default is stated, and as the schema has it (the README is where an operator reads them).
    expect(Object.fromEntries(keys.map((key) => [key, stated[key]]))).toEqual(
      Object.fromEntries(keys.map((key) => [key, String(defaults[key])])),
    );
    expect(keys.length).toBeGreaterThan(20);
    // The capacity the defaults give: 2 × (150 customers + 2 shared partitions) + 25 for redrive ≤ 400,
    // 80 % of 500, so one delivery pair.
    expect(defaults.capacity).toMatchObject({ deliveryShards: 1, customersPerShard: 150 });
  });

  it('lists every setting in the README’s settings table, and nothing that is not one', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| option (`-c key=value`)'));
    const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
    const named = rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));

    expect(named.filter((k) => k !== 'stackName').sort()).toEqual([...CONFIG_KEYS].sort());
  });

  it('says in one line what a setting risks: all traffic at once, or alarms nobody receives', () => {
    expect(settingNotices(readStackConfig({ alarmEmail: 'oncall@example.com' }))).toEqual([]);
    expect(
      settingNotices(readStackConfig({ deploymentStyle: 'all-at-once', alarmEmail: 'oncall@example.com' })),
    ).toEqual([
      'deploymentStyle=all-at-once: a release that passes the pre-traffic check but then misbehaves takes all traffic at once (canary shifts 10 % first).',
    ]);
    expect(settingNotices(readStackConfig({}))).toEqual([
      expect.stringMatching(/^No alarmEmail: .* no one will be told\./),
    ]);
  });

  it('derives the delivery shards from maxCustomers and the partition quota', () => {
    const shards = (context: Record<string, unknown>) => readStackConfig(context).capacity.deliveryShards;

    expect(shards({ maxCustomers: '185' })).toBe(1); // 2 × 187 + 25 = 399 ≤ 400
    expect(shards({ maxCustomers: '186' })).toBe(2);
    expect(shards({ maxCustomers: '2000' })).toBe(14);
    expect(shards({ maxCustomers: '2200', activePartitionQuota: '5000' })).toBe(2);
  });

  it('takes -c values, which arrive as strings', () => {
    expect(
      readStackConfig({ delivery: 'direct', authorizerCacheTtlSeconds: '0', logRetentionDays: '30' }),
    ).toMatchObject({
      delivery: 'direct',
      authorizerCacheTtlSeconds: 0,
      logRetentionDays: 30,
    });
  });

  it.each([
    [{ delivery: 'firehose' }, /delivery must be "stream" or "direct"/],
    [{ deploymentStyle: 'blue-green' }, /deploymentStyle must be one of "canary", "linear", "all-at-once"/],
    [{ authorizerCacheTtlSeconds: '3601' }, /authorizerCacheTtlSeconds/],
    [
      { authorizerCacheTtlSeconds: 'five' },
      /authorizerCacheTtlSeconds: must be a whole number from 0 to 3600/,
    ],
    [{ logRetentionDays: 10 }, /logRetentionDays must be one of/],
    [{ firehoseBufferMiB: 32 }, /firehoseBufferMiB/],
    [{ lakeInfrequentAccessAfterDays: 10 }, /at least 30/],
    [{ lakeInfrequentAccessAfterDays: 60, lakeExpireAfterDays: 30 }, /lakeExpireAfterDays must be after/],
    [{ delivry: 'direct' }, /Unknown setting "delivry": did you mean "delivery"\?/],
    [
      { authorizerCacheTTLSeconds: 0 },
      /Unknown setting "authorizerCacheTTLSeconds": did you mean "authorizerCacheTtlSeconds"\?/,
    ],
    [{ firehoseBufferSeconds: 0 }, /firehoseBufferSeconds: must be a whole number from 60 to 900/],
    [
      { authorizerReservedConcurrency: -1 },
      /authorizerReservedConcurrency: must be a whole number from 0 to 10000/,
    ],
    [{ maxCustomers: '0' }, /^Invalid setting maxCustomers: must be a whole number from 1 to 1000000$/],
    [{ maxCustomers: '-3' }, /^Invalid setting maxCustomers: must be a whole number from 1 to 1000000$/],
    [{ maxCustomers: '2.5' }, /^Invalid setting maxCustomers: must be a whole number from 1 to 1000000$/],
    [
      { maxCustomers: '10000' },
      /^Invalid setting maxCustomers: 10000 is more than 50 delivery shards serve with activePartitionQuota=500 \(at most 7,438\); ask AWS for a higher Firehose active-partition quota \(up to 5,000\)/,
    ],
    [
      { maxCustomers: '100000', activePartitionQuota: '5000' },
      /^Invalid setting maxCustomers: 100000 is more than the quotas can ever give: at most 87,440 customers/,
    ],
    // A setting of the last release says what replaces it, not "did you mean delivery" (docs/upgrading.md).
    [{ deliveryShards: '3' }, /^Retired setting "deliveryShards": .*set maxCustomers/],
    [{ streamShards: 0 }, /streamShards: must be a whole number from 1 to 10000/],
    [{ firehoseBufferSeconds: 59 }, /firehoseBufferSeconds: must be a whole number from 60 to 900/],
    [{ segmentSlug: 'Not A Slug' }, /segmentSlug must be lower-case/],
    [{ alarmEmail: 'on-call' }, /alarmEmail must be an e-mail address/],
    [{ enableRedirectUrl: 'http://example.com/x' }, /enableRedirectUrl must be https/],
  ])('refuses %p with a message naming the setting', (context, message) => {
    expect(() => readStackConfig(context)).toThrow(message);
  });

  it('takes every context key but CDK’s own as a setting, so a typo cannot pass as a default', () => {
    const context = {
      '@aws-cdk/core:checkSecretUsage': true,
      'aws:cdk:bundling-stacks': [],
      'cli-telemetry': false,
      stackName: 'Stage',
      authorizerCacheTTLSeconds: '0',
    };

    expect(settingsFromContext(context)).toEqual({ authorizerCacheTTLSeconds: '0' });
  });

  it('says a setting error in one line, without a stack trace, from cdk synth', () => {
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'bin/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ firehoseBufferSeconds: 30 }) },
      encoding: 'utf8',
    });

    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid stack settings: Invalid setting firehoseBufferSeconds: must be a whole number from 60 to 900',
    );
  });
});

/** Each setting's default as the README's settings table states it (`a` / `b` rows name two). */
function readmeDefaults(): Record<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| option (`-c key=value`)'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  const stated: Record<string, string> = {};
  for (const row of rows) {
    const [, names = '', values = ''] = row.split('|');
    const keys = [...names.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    const given = [...values.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
    keys.forEach((key, i) => {
      if (given[i] !== undefined) stated[key] = given[i]!;
    });
  }
  return stated;
}
