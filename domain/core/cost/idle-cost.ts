import { PRICES } from './prices';

/** What a deployed stack has that is billed by the hour or month, whether or not an event arrives. */
export interface IdleResources {
  /** Kinesis streams (one per delivery shard with `delivery=stream`, none with `direct`). */
  streams: number;
  /** Provisioned shards per stream; undefined: on-demand. */
  provisionedShardsPerStream?: number | undefined;
  alarms: number;
  dashboards: number;
  kmsKeys: number;
}

export interface IdleCostLine {
  item: string;
  usdPerMonth: number;
}

/**
 * The fixed monthly charges of a stack (us-east-1 prices in prices.ts): streams or shards by the hour,
 * alarms, dashboards and KMS keys by the month. Everything else — API Gateway, Lambda, Firehose, S3,
 * DynamoDB on demand, Athena — is billed per use and costs nothing idle.
 *
 * @example idleMonthlyCost({ streams: 1, alarms: 20, dashboards: 1, kmsKeys: 1 }) // 29.2 + 2 + 3 + 1
 */
export function idleMonthlyCost(r: IdleResources): IdleCostLine[] {
  const hours = PRICES.hoursPerMonth;
  const lines: IdleCostLine[] = [];
  if (r.streams > 0)
    lines.push(
      r.provisionedShardsPerStream === undefined
        ? {
            item: `${r.streams} on-demand Kinesis stream(s)`,
            usdPerMonth: r.streams * hours * PRICES.kinesisPerStreamHour,
          }
        : {
            item: `${r.streams * r.provisionedShardsPerStream} provisioned Kinesis shard(s)`,
            usdPerMonth: r.streams * r.provisionedShardsPerStream * hours * PRICES.kinesisPerShardHour,
          },
    );
  lines.push(
    { item: `${r.alarms} CloudWatch alarms`, usdPerMonth: r.alarms * PRICES.cloudWatchPerAlarmMonth },
    { item: `${r.dashboards} dashboard(s)`, usdPerMonth: r.dashboards * PRICES.cloudWatchPerDashboardMonth },
    { item: `${r.kmsKeys} KMS key(s)`, usdPerMonth: r.kmsKeys * PRICES.kmsPerKeyMonth },
  );
  return lines;
}
