import { readStackConfig } from '../../lib/config';

describe('stack settings, validated at synth', () => {
  it('has production defaults', () => {
    expect(readStackConfig({})).toEqual({
      delivery: 'stream',
      authorizerCacheTtlSeconds: 300,
      throttleRateLimit: 5000,
      throttleBurstLimit: 5000,
      logRetentionDays: 90,
      lakeInfrequentAccessAfterDays: 90,
      lakeExpireAfterDays: 0,
      firehoseBufferSeconds: 60,
      firehoseBufferMiB: 128,
      streamRetentionHours: 24,
      segmentSlug: 'segment-lake-destination',
      alarmServerErrorRatePercent: 1,
      alarmFreshnessSeconds: 900,
      activePartitionQuota: 500,
      alarmActivePartitionPercent: 80,
      alarmQuarantineRatePercent: 5,
      removalPolicy: 'retain',
    });
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
    [{ authorizerCacheTtlSeconds: '3601' }, /authorizerCacheTtlSeconds/],
    [{ authorizerCacheTtlSeconds: 'five' }, /authorizerCacheTtlSeconds: must be a whole number/],
    [{ logRetentionDays: 10 }, /logRetentionDays must be one of/],
    [{ firehoseBufferMiB: 32 }, /firehoseBufferMiB/],
    [{ lakeInfrequentAccessAfterDays: 10 }, /at least 30/],
    [{ lakeInfrequentAccessAfterDays: 60, lakeExpireAfterDays: 30 }, /lakeExpireAfterDays must be after/],
    [{ delivry: 'direct' }, /Unknown setting\(s\): delivry/],
    [{ segmentSlug: 'Not A Slug' }, /segmentSlug must be lower-case/],
    [{ alarmEmail: 'on-call' }, /alarmEmail must be an e-mail address/],
    [{ enableRedirectUrl: 'http://example.com/x' }, /enableRedirectUrl must be https/],
  ])('refuses %p with a message naming the setting', (context, message) => {
    expect(() => readStackConfig(context)).toThrow(message);
  });
});
