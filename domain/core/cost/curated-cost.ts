import { ATHENA_RULES } from '../../contract/sql/athena-rules';
import { OPTIMIZE_SMALL_FILE_BYTES } from '../../contract/sql/curated-sql';
import { PRICES } from './prices';

export interface CuratedCostInput {
  /** Events a month. */
  events: number;
  /** Customers sending (each has an events partition open: one landing object per buffer interval). */
  customers: number;
  bufferSeconds: number;
  /** Landing bytes per event as stored (gzip JSON lines); Athena bills the compressed bytes it reads. */
  landingBytesPerEvent: number;
  /** Curated bytes per event (Parquet): the lake bench measured 1.81 × the landing gzip. */
  curatedBytesPerEvent: number;
  /** Compaction runs a month (hourly: 720). */
  runs: number;
}

export interface CostLine {
  service: string;
  usd: number;
  basis: string;
}

const TB = 1024 ** 4;
const MB = 1024 ** 2;
const MONTH_SECONDS = 30 * 86_400;
/** Customers one MERGE takes in live traffic (one event date each): packMergeItems' 100 partitions. */
const PER_MERGE = ATHENA_RULES.partitionsPerStatement.limit;

/**
 * What the curated table costs on AWS a month (lib/curated-compaction.ts), every term: the object log
 * (a message per landing object: sent by EventBridge, received and deleted ten at a time), the steps
 * function, S3 requests (a manifest per customer per run; Athena reads every landing object twice: to
 * plan, to merge), Athena's bytes (source twice, the MERGE target's key columns, the hourly OPTIMIZE of
 * each merged partition's small files) with its 10 MB minimum per statement. Prices: prices.ts.
 *
 * @example curatedCost({ events: 1e9, customers: 2000, bufferSeconds: 300, landingBytesPerEvent: 300, curatedBytesPerEvent: 543, runs: 720 })
 */
export function curatedCost(input: CuratedCostInput): CostLine[] {
  const objects = input.customers * (MONTH_SECONDS / input.bufferSeconds);
  const sqsRequests = objects + 2 * Math.ceil(objects / 10);
  const landingBytes = input.events * input.landingBytesPerEvent;
  const curatedBytesPerDay = (input.events / 30) * input.curatedBytesPerEvent;
  const merges = input.runs * Math.ceil(input.customers / PER_MERGE);
  const statements = input.runs + 2 * merges; // a plan per run; a MERGE and an OPTIMIZE per item
  const minimumBytes = statements * ATHENA_RULES.minimumBilling.bytes;
  // The MERGE's target: the key columns of the partitions it writes (~a tenth of their bytes), today's
  // partitions growing through the day (half a day on average).
  const targetBytes = input.runs * (curatedBytesPerDay / 2) * 0.1;
  // OPTIMIZE rewrites the small files of the partitions just merged (a customer's month): the file
  // still under OPTIMIZE_SMALL_FILE_BYTES and the run's new ones, half that size on average, or half
  // the month so far for a customer whose month stays smaller (CURATED_TABLE_PROPERTIES: a partition's
  // small files are rewritten at every run).
  const customerMonthBytes = (input.events / input.customers) * input.curatedBytesPerEvent;
  const optimizeBytes =
    input.runs * input.customers * (Math.min(OPTIMIZE_SMALL_FILE_BYTES, customerMonthBytes / 2) / 2);
  const athenaBytes = Math.max(2 * landingBytes + targetBytes + optimizeBytes, minimumBytes);
  const lambdaSeconds = (sqsRequests / 10) * 0.01 + input.runs * 3; // ~10 ms a call; 3 s a run's rest
  const lines: CostLine[] = [
    {
      service: 'Object log (SQS)',
      usd: (sqsRequests / 1e6) * PRICES.sqsPerMillionRequests,
      basis: `${fmt(objects)} landing objects (${input.customers} customers, a flush every ${input.bufferSeconds} s): sent, received and deleted in tens`,
    },
    {
      service: 'EventBridge (S3 events)',
      usd: 0,
      basis: 'events of AWS services on the default bus are not charged',
    },
    {
      service: 'Lambda (compaction steps)',
      usd:
        ((input.runs * 3) / 1e6) * PRICES.lambdaPerMillionRequests +
        lambdaSeconds * 1 * PRICES.lambdaArmPerGbSecond,
      basis: `${fmt(lambdaSeconds)} s at 1 GB`,
    },
    {
      service: 'S3 requests (compaction)',
      usd:
        ((input.runs * input.customers) / 1000) * PRICES.s3PerThousandPuts +
        ((2 * objects) / 1000) * PRICES.s3PerThousandGets,
      basis: `${fmt(input.runs * input.customers)} manifest PUTs; ${fmt(2 * objects)} GETs (each object read to plan and to merge)`,
    },
    {
      service: 'Athena (compaction)',
      usd: (athenaBytes / TB) * PRICES.athenaPerTb,
      basis: `${fmt(athenaBytes / 1024 ** 3)} GB scanned by ${fmt(statements)} statements (10 MB minimum each: ${fmt(minimumBytes / MB / 1024)} GB)`,
    },
  ];
  return lines;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
