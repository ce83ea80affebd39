import { CfnAlarm, CfnDashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnKey } from 'aws-cdk-lib/aws-kms';
import type { Stack } from 'aws-cdk-lib/core';
import { idleMonthlyCost } from '../domain/core/cost/idle-cost';
import type { StackConfig } from './config';

/**
 * The lines `cdk synth` prints about settings that deserve a second look: no one subscribed to the alarms,
 * or a deployment that sends a release all traffic at once.
 */
export function settingNotices(config: StackConfig): string[] {
  return [
    ...(config.deploymentStyle === 'all-at-once'
      ? [
          'deploymentStyle=all-at-once: a release that passes the pre-traffic check but then misbehaves takes all traffic at once (canary shifts 10 % first).',
        ]
      : []),
    ...(config.alarmEmail
      ? []
      : [
          'No alarmEmail: alarms publish to the AlarmTopicArn topic, which nobody is subscribed to — no one will be told. Set -c alarmEmail=<address> or subscribe on-call to the topic.',
        ]),
  ];
}

/**
 * The one line `cdk synth` prints about capacity: how many customers the stack serves on how many
 * delivery shards, each stream's peak active partitions against its quota, and what the stack costs a
 * month with no traffic at all.
 *
 * @example "Capacity: 150 customers on 1 delivery shard (peak 329 of 500 active partitions per Firehose stream, 66 %); idle ≈ $36/month (…)"
 */
export function capacityLine(stack: Stack, config: StackConfig): string {
  const c = config.capacity;
  const all = stack.node.findAll();
  const idle = idleMonthlyCost({
    streams: config.delivery === 'stream' ? c.deliveryShards : 0,
    provisionedShardsPerStream: config.streamShards,
    alarms: all.filter((x) => x instanceof CfnAlarm).length,
    dashboards: all.filter((x) => x instanceof CfnDashboard).length,
    kmsKeys: all.filter((x) => x instanceof CfnKey).length,
  });
  const total = idle.reduce((sum, l) => sum + l.usdPerMonth, 0);
  const shards = `${c.deliveryShards} delivery shard${c.deliveryShards === 1 ? '' : 's'}`;
  const percent = Math.round((100 * c.peakPartitionsPerShard) / c.activePartitionQuota);
  return `Capacity: ${c.maxCustomers.toLocaleString('en-US')} customers on ${shards} (peak ${c.peakPartitionsPerShard.toLocaleString('en-US')} of ${c.activePartitionQuota.toLocaleString('en-US')} active partitions per Firehose stream, ${percent} %; up to ${c.customerCeiling.toLocaleString('en-US')} customers fit); idle ≈ $${total.toFixed(0)}/month (${idle.map((l) => `${l.item} $${l.usdPerMonth.toFixed(2)}`).join(', ')})`;
}
