import type { StackConfig } from './config';

/**
 * The template's Metadata key under which the stack states its delivery capacity and the settings that
 * decide how it behaves under load. `npm run replay-sim` reads it (with the resources themselves) from
 * the synthesized template, so it models the stack that would be deployed, not a copy of the defaults.
 */
export const CAPACITY_METADATA = 'SegmentLakeCapacity';

export interface CapacityMetadata {
  maxCustomers: number;
  activePartitionQuota: number;
  deliveryShards: number;
  customersPerShard: number;
  peakPartitionsPerShard: number;
  firehoseBufferSeconds: number;
}

export function capacityMetadata(config: StackConfig): CapacityMetadata {
  const c = config.capacity;
  return {
    maxCustomers: c.maxCustomers,
    activePartitionQuota: c.activePartitionQuota,
    deliveryShards: c.deliveryShards,
    customersPerShard: c.customersPerShard,
    peakPartitionsPerShard: c.peakPartitionsPerShard,
    firehoseBufferSeconds: config.firehoseBufferSeconds,
  };
}
