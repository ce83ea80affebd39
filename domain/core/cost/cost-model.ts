import { SHARED_PARTITIONS } from '../../contract/delivery-capacity';
import type { IngestEnvironment } from '../../contract/environment';
import { ERASED_FILTER_TTL_MS } from '../../contract/erasure';
import { REQUEST_PATH_LOGGING } from '../../contract/logging';
import { METRIC_NAMES, VERSIONED_METRICS } from '../../contract/metrics';
import { ATHENA_RULES } from '../../contract/sql/athena-rules';
import { fairShareSettings } from '../ingest/fair-share';
import { LAST_USED_RESOLUTION_MS } from '../keys/authorize';
import { curatedCost } from './curated-cost';
import { PRICES } from './prices';
import type { FunctionFacts, LogGroupFacts, StackFacts } from './template-facts';

/** The traffic a month brings. */
export interface Traffic {
  events: number;
  /** Events per request: 1 for Segment's direct destinations, ~100 for SDK batches. */
  perRequest: number;
  /** Average event size as sent (bytes; the steering document's figure is 1.3 KB). */
  eventBytes: number;
  customers: number;
  /** Write keys in use per customer (each misses the authorizer's cache on its own). */
  keysPerCustomer: number;
  /** Days the month has (stream-hours, alarms and storage are billed for them). */
  days: number;
  /** Months of history the lake holds (storage): the bill of the month when it holds that many. */
  historyMonths: number;
}

/** What the code does per request, measured on this machine (scripts/cost/measure.ts). */
export interface Measured {
  /** The ingest core per request, warm (ms). */
  coreMs: number;
  /** Calls of the sink per request (the events' put, then the ledger line's). */
  sinkCallsPerRequest: number;
  /** The stream records one request puts, in bytes (the events' records, then the ledger's). */
  recordBytes: number[];
  /** The ingest function's per-request INFO line, as its logger writes it (bytes). */
  ingestLineBytes: number;
  /** The authorizer's per-call INFO line (bytes). */
  authorizerLineBytes: number;
  /** One write of an instance's counts: its embedded-metric lines (bytes, and how many lines). */
  metricsWriteBytes: number;
  metricsWriteLines: number;
  /** One access log line with typical values (bytes). */
  accessLineBytes: number;
}

/** What cannot be measured offline, stated. */
export interface Assumed {
  /** A Kinesis put's round trip from Lambda in the same region (ms). */
  putMs: number;
  /** A DynamoDB read or write's round trip (ms). */
  dynamoMs: number;
  /** The authorizer's own work per call, besides its reads (ms). */
  authorizerCoreMs: number;
  /** Records Firehose's JQ engine parses per second (AWS bills its processing time). */
  jqRecordsPerSecond: number;
  /** Stored log bytes per ingested byte (CloudWatch Logs bills storage compressed). */
  logCompression: number;
  /** Landing (gzip JSON lines) and curated (Parquet) bytes per event. */
  landingBytesPerEvent: number;
  curatedBytesPerEvent: number;
  /** Bytes Step Functions logs per state transition (level ALL, no execution data). */
  stateLogBytes: number;
}

export const ASSUMED: Assumed = {
  putMs: 10,
  dynamoMs: 5,
  authorizerCoreMs: 1,
  jqRecordsPerSecond: 10_000,
  // The lake's gzip of JSON lines: a ~1.95 KB line to ~300 bytes.
  logCompression: 0.15,
  landingBytesPerEvent: 300,
  curatedBytesPerEvent: 543,
  stateLogBytes: 350,
};

interface CostLine {
  service: string;
  usd: number;
  basis: string;
}

export interface CostEstimate {
  lines: CostLine[];
  total: number;
  /** The ingest function's billed duration per request (ms), from the measured core and the assumed calls. */
  ingestMs: number;
  /** Every CloudWatch Logs line together, and its share of the API Gateway line. */
  logging: { usd: number; shareOfApiGateway: number };
}

const GB = 1024 ** 3;
const LOGS = 'CloudWatch Logs';

/**
 * What a month of traffic costs on the stack a template describes, line by line: every resource billed
 * by use or by the hour, with the stack's own settings (memory, log levels and classes, retention,
 * streams, buffer, cache, schedules) read from the template. Prices: prices.ts.
 *
 * @example estimateCost(stackFactsFromTemplate(template), traffic, measured, ASSUMED)
 */
export function estimateCost(
  facts: StackFacts,
  traffic: Traffic,
  measured: Measured,
  assumed: Assumed = ASSUMED,
): CostEstimate {
  const seconds = traffic.days * 86_400;
  const hours = traffic.days * 24;
  const months = hours / PRICES.hoursPerMonth;
  const requests = traffic.events / traffic.perRequest;
  const requestsPerSecond = requests / seconds;
  const ingestEnv = facts.ingest.environment as Partial<Record<keyof IngestEnvironment, unknown>>;
  const lines: CostLine[] = [];

  // API Gateway: tiered, each request metered in 512 KB units of its size.
  const units = requests * Math.ceil((traffic.perRequest * traffic.eventBytes) / PRICES.httpApiMeteringBytes);
  const firstTier = Math.min(units, PRICES.httpApiFirstTierRequests);
  const apiGateway =
    (firstTier / 1e6) * PRICES.httpApiPerMillionRequests +
    ((units - firstTier) / 1e6) * PRICES.httpApiPerMillionRequestsPast300M;
  lines.push({
    service: 'API Gateway (HTTP API)',
    usd: apiGateway,
    basis: `${fmt(units)} requests: ${fmt(firstTier)} at $${PRICES.httpApiPerMillionRequests}/M, the rest at $${PRICES.httpApiPerMillionRequestsPast300M}/M`,
  });

  // The erased-user filter: an instance asks for a customer's requests again once its copy is older than
  // ERASED_FILTER_TTL_MS. With requests spread evenly over the instances and customers, a share
  // 1 / (1 + λ·TTL) of requests ask (λ: one customer's requests per second at one instance).
  const filterOn = ingestEnv.ERASURE_TABLE !== undefined;
  const sinkMs = measured.sinkCallsPerRequest * assumed.putMs;
  let ingestMs = measured.coreMs + sinkMs;
  let askShare = 0;
  for (let i = 0; i < 3; i++) {
    // The instances a request rate keeps busy depend on the duration, which depends on the share asking.
    const concurrency = Math.max(1, requestsPerSecond * (ingestMs / 1000));
    const lambda = requestsPerSecond / (concurrency * traffic.customers);
    askShare = filterOn ? 1 / (1 + lambda * (ERASED_FILTER_TTL_MS / 1000)) : 0;
    ingestMs = measured.coreMs + sinkMs + askShare * assumed.dynamoMs;
  }
  const ingestConcurrency = Math.max(1, requestsPerSecond * (ingestMs / 1000));
  const billedIngestMs = Math.max(1, Math.ceil(ingestMs));
  lines.push({
    service: 'Lambda (ingest)',
    usd: lambdaUsd(facts.ingest, requests, billedIngestMs),
    basis: `${fmt(requests)} invocations × ${billedIngestMs} ms (core ${measured.coreMs.toFixed(2)} ms measured, ${measured.sinkCallsPerRequest} puts × ${assumed.putMs} ms, ${pct(askShare)} ask the erasure table × ${assumed.dynamoMs} ms) × ${facts.ingest.memoryMb} MB ${arch(facts.ingest)}`,
  });

  // The authorizer: called once per key per cache period, never more often than requests come.
  const keys = traffic.customers * traffic.keysPerCustomer;
  const authorizerCalls =
    facts.authorizerCacheSeconds > 0
      ? Math.min(requests, (keys * seconds) / facts.authorizerCacheSeconds)
      : requests;
  const lastUsedWrites = Math.min(authorizerCalls, (keys * seconds * 1000) / LAST_USED_RESOLUTION_MS);
  const authorizerMs = Math.ceil(
    assumed.authorizerCoreMs +
      2 * assumed.dynamoMs +
      (lastUsedWrites / Math.max(1, authorizerCalls)) * assumed.dynamoMs,
  );
  lines.push({
    service: 'Lambda (authorizer)',
    usd: lambdaUsd(facts.authorizer, authorizerCalls, authorizerMs),
    basis: `${fmt(authorizerCalls)} calls (${fmt(keys)} keys, verdicts cached ${facts.authorizerCacheSeconds} s) × ${authorizerMs} ms × ${facts.authorizer.memoryMb} MB ${arch(facts.authorizer)}`,
  });

  // The stream and Firehose, per record.
  const records = requests * measured.recordBytes.length;
  const requestBytes = measured.recordBytes.reduce((sum, b) => sum + b, 0);
  const dataGb = (requests * requestBytes) / GB;
  if (facts.streams.count > 0) {
    const streamHours = facts.streams.count * hours;
    const inGb =
      (requests *
        measured.recordBytes.reduce((sum, b) => sum + roundUp(b, PRICES.kinesisRecordIncrementBytes), 0)) /
      GB;
    lines.push(
      facts.streams.provisionedShards === undefined
        ? {
            service: 'Kinesis on-demand',
            usd:
              streamHours * PRICES.kinesisPerStreamHour +
              inGb * PRICES.kinesisPerGbIn +
              dataGb * PRICES.kinesisPerGbOut,
            basis: `${fmt(streamHours)} stream-hours (${facts.streams.count} streams, billed idle too); ${fmt(inGb)} GB in (${fmt(records)} records, each rounded up to 1 KB), ${fmt(dataGb)} GB out`,
          }
        : {
            service: 'Kinesis provisioned',
            usd: streamHours * facts.streams.provisionedShards * PRICES.kinesisPerShardHour,
            basis: `${fmt(streamHours * facts.streams.provisionedShards)} shard-hours (${facts.streams.count} streams × ${facts.streams.provisionedShards} shards, billed idle too)`,
          },
    );
  }
  const firehoseGb =
    (requests *
      measured.recordBytes.reduce((sum, b) => sum + roundUp(b, PRICES.firehoseBillingIncrementBytes), 0)) /
    GB;
  lines.push({
    service: 'Firehose ingestion',
    usd: firehoseGb * PRICES.firehosePerGbIngested,
    basis: `${fmt(records)} records (${measured.recordBytes.length} a request: events and ledger), each rounded up to 5 KB: ${fmt(firehoseGb)} GB`,
  });
  // Every open partition is flushed once per buffer interval: the customers' events partitions and the
  // shared quarantine and ledger ones of each pair.
  const partitions = traffic.customers + SHARED_PARTITIONS * facts.firehose.count;
  const objects = (partitions * seconds) / facts.firehose.bufferSeconds;
  if (facts.firehose.dynamicPartitioning) {
    const jqHours = facts.firehose.jq ? records / assumed.jqRecordsPerSecond / 3600 : 0;
    const wallClock = facts.firehose.count * hours * PRICES.firehosePerJqHour;
    lines.push(
      {
        service: 'Firehose dynamic partitioning',
        usd: dataGb * PRICES.firehosePartitioningPerGb + jqHours * PRICES.firehosePerJqHour,
        basis: `${fmt(dataGb)} GB processed; ${fmt(jqHours)} JQ hours (${fmt(records)} records at an assumed ${fmt(assumed.jqRecordsPerSecond)}/s; billed by wall clock it would be $${fmt(wallClock)})`,
      },
      {
        service: 'Firehose objects delivered',
        usd: (objects / 1000) * PRICES.firehosePerThousandObjects,
        basis: `${fmt(objects)} objects: ${fmt(partitions)} open partitions × a flush every ${facts.firehose.bufferSeconds} s`,
      },
    );
  }
  lines.push({
    service: 'S3 requests (delivery)',
    usd: (objects / 1000) * PRICES.s3PerThousandPuts,
    basis: `${fmt(objects)} PUTs by Firehose (compaction's GETs are in its own line)`,
  });

  // DynamoDB: the filter's queries, the authorizer's two reads a call and its lastUsedAt writes, and the
  // fair share's leases, taken only by customers above an instance's free allowance.
  const filterQueries = requests * askShare;
  const fairShareRate = Number(ingestEnv.FAIR_SHARE_EVENTS_PER_SECOND ?? 0) || 0;
  const settings = fairShareRate > 0 ? fairShareSettings(fairShareRate) : undefined;
  const perCustomerPerInstance = traffic.events / seconds / traffic.customers / ingestConcurrency;
  const leaseWrites =
    settings && perCustomerPerInstance > settings.allowancePerInstance
      ? traffic.events / settings.leaseEvents
      : 0;
  // Eventually consistent reads of items under 4 KB: half a read unit each; writes under 1 KB: one unit.
  const readUnits = 0.5 * (filterQueries + 2 * authorizerCalls);
  const writeUnits = lastUsedWrites + leaseWrites;
  lines.push({
    service: 'DynamoDB',
    usd:
      (readUnits / 1e6) * PRICES.dynamoPerMillionReads + (writeUnits / 1e6) * PRICES.dynamoPerMillionWrites,
    basis: `${facts.tables.filter((t) => t.onDemand).length} of ${facts.tables.length} tables on demand; ${fmt(filterQueries)} erasure-filter queries, ${fmt(2 * authorizerCalls)} key reads, ${fmt(lastUsedWrites)} lastUsedAt writes, ${fmt(leaseWrites)} fair-share leases${settings ? ` (customers under ${settings.allowancePerInstance} events/s per instance take none)` : ''}`,
  });

  // CloudWatch Logs, per log group that a request or a run writes to.
  const rate = REQUEST_PATH_LOGGING.infoSampleRate;
  const flushSeconds = REQUEST_PATH_LOGGING.metricsFlushMs / 1000;
  const metricsWrites = (calls: number, concurrency: number) =>
    Math.min(calls, (Math.max(1, concurrency) * seconds) / flushSeconds);
  const logged: { group: LogGroupFacts | undefined; bytes: number; service: string; basis: string }[] = [];
  const functionLogs = (
    fn: FunctionFacts,
    name: string,
    calls: number,
    lineBytes: number,
    concurrency: number,
  ) => {
    const writes = metricsWrites(calls, concurrency);
    const platform = fn.platformLinesDropped
      ? 0
      : calls * (PLATFORM_LINE_BYTES + 3 * PRICES.logLineOverheadBytes);
    const bytes =
      calls * rate * (lineBytes + PRICES.logLineOverheadBytes) +
      writes * (measured.metricsWriteBytes + measured.metricsWriteLines * PRICES.logLineOverheadBytes) +
      platform;
    logged.push({
      group: fn.logGroup,
      bytes,
      service: `${LOGS} (${name})`,
      basis: `${fmt(calls * rate)} sampled INFO lines (${pct(rate)}, ${lineBytes} B), ${fmt(writes)} metric writes (one per instance per ${flushSeconds} s, ${measured.metricsWriteBytes} B)${fn.platformLinesDropped ? ', no platform lines' : `, ${fmt(calls * 3)} platform lines`}`,
    });
  };
  functionLogs(facts.ingest, 'ingest function', requests, measured.ingestLineBytes, ingestConcurrency);
  functionLogs(
    facts.authorizer,
    'authorizer',
    authorizerCalls,
    measured.authorizerLineBytes,
    (authorizerCalls / seconds) * (authorizerMs / 1000),
  );
  logged.push({
    group: facts.accessLog,
    bytes: requests * (measured.accessLineBytes + PRICES.logLineOverheadBytes),
    service: `${LOGS} (access log)`,
    basis: `${fmt(requests)} lines of ${measured.accessLineBytes} B${facts.accessLog?.infrequentAccess ? ', Infrequent Access class' : ''}`,
  });

  // The scheduled jobs: their runs' state transitions (the curated job's MERGE items each run its item
  // states again) and the log line each transition's events write.
  const mergeItems = Math.ceil(traffic.customers / CUSTOMERS_PER_MERGE);
  const curatedMachine = facts.stateMachines.find((m) => m.id.startsWith('Curated'));
  const transitions = facts.stateMachines.reduce(
    (sum, m) => sum + m.runsPerMonth * m.states * (m === curatedMachine ? 1 + mergeItems : 1),
    0,
  );
  logged.push({
    group: undefined,
    bytes: transitions * 2 * (assumed.stateLogBytes + PRICES.logLineOverheadBytes),
    service: `${LOGS} (state machines)`,
    basis: `${fmt(transitions * 2)} execution events of ${assumed.stateLogBytes} B (level ALL, no execution data)`,
  });
  let stored = 0;
  for (const entry of logged) {
    const price = entry.group?.infrequentAccess
      ? PRICES.logsInfrequentPerGbIngested
      : PRICES.logsPerGbIngested;
    const retentionMonths = (entry.group?.retentionDays ?? 90) / 30;
    stored += (entry.bytes / GB) * assumed.logCompression * retentionMonths;
    lines.push({
      service: entry.service,
      usd: (entry.bytes / GB) * price,
      basis: `${fmt(entry.bytes / GB)} GB: ${entry.basis}`,
    });
  }
  lines.push({
    service: `${LOGS} (storage)`,
    usd: stored * PRICES.logsPerGbMonthStored,
    basis: `${fmt(stored)} GB held at steady state (each group's retention, stored at ${assumed.logCompression} of its size)`,
  });

  // CloudWatch: custom metrics (every name under `service`, the versioned copies, the reasons), alarms,
  // dashboards.
  const metricSeries = METRIC_NAMES.length + VERSIONED_METRICS.length + REASON_SERIES;
  lines.push(
    {
      service: 'CloudWatch metrics',
      usd: metricSeries * PRICES.cloudWatchPerMetricMonth * months,
      basis: `${metricSeries} custom metrics (${METRIC_NAMES.length} names, ${VERSIONED_METRICS.length} per version, ~${REASON_SERIES} by reason)`,
    },
    {
      service: 'CloudWatch alarms and dashboards',
      usd:
        (facts.alarms * PRICES.cloudWatchPerAlarmMonth +
          facts.dashboards * PRICES.cloudWatchPerDashboardMonth) *
        months,
      basis: `${facts.alarms} alarms, ${facts.dashboards} dashboard(s)`,
    },
    {
      service: 'Step Functions',
      usd: (transitions / 1000) * PRICES.stepFunctionsPerThousandTransitions,
      basis: `${fmt(transitions)} state transitions: ${facts.stateMachines
        .filter((m) => m.runsPerMonth > 0)
        .map(
          (m) =>
            `${m.id.replace(/StateMachine.*$/, '')} ${fmt(m.runsPerMonth)} runs × ${m.states} states${m === curatedMachine ? ` × (1 + ${mergeItems} items)` : ''}`,
        )
        .join(', ')}`,
    },
  );

  // The curated table's job (lib/curated-compaction.ts).
  for (const line of curatedCost({
    events: traffic.events,
    customers: traffic.customers,
    bufferSeconds: facts.firehose.bufferSeconds,
    landingBytesPerEvent: assumed.landingBytesPerEvent,
    curatedBytesPerEvent: assumed.curatedBytesPerEvent,
    runs: curatedMachine?.runsPerMonth ?? 0,
  }))
    lines.push({ ...line, service: `Curated job: ${line.service}` });

  // S3 storage by zone, for the month the lake holds `historyMonths` of them; past the lake's transition
  // the objects are Standard-IA.
  const monthGb = (bytes: number) => (traffic.events * bytes) / GB;
  const heldMonths = Math.min(traffic.historyMonths, (facts.lakeExpireDays ?? Infinity) / 30);
  const standardMonths = Math.min(heldMonths, (facts.lakeTransitionDays ?? Infinity) / 30);
  const iaMonths = heldMonths - standardMonths;
  const ledgerBytesPerEvent = (measured.recordBytes.at(-1)! * assumed.logCompression) / traffic.perRequest;
  for (const [zone, bytes] of [
    ['landing', assumed.landingBytesPerEvent],
    ['curated', assumed.curatedBytesPerEvent],
    ['ledger', ledgerBytesPerEvent],
  ] as const) {
    const gb = monthGb(bytes);
    lines.push({
      service: `S3 storage (${zone})`,
      usd: gb * (standardMonths * PRICES.s3StandardPerGbMonth + iaMonths * PRICES.s3StandardIaPerGbMonth),
      basis: `${fmt(gb)} GB a month (${bytes.toFixed(0)} B an event) × ${fmt(heldMonths)} months held, ${fmt(iaMonths)} of them in Standard-IA`,
    });
  }

  lines.push({
    service: 'KMS and Secrets Manager',
    usd: (facts.kmsKeys * PRICES.kmsPerKeyMonth + facts.secrets * PRICES.secretsPerSecretMonth) * months,
    basis: `${facts.kmsKeys} customer-managed key(s), ${facts.secrets} secret(s)`,
  });

  if (facts.edge) {
    // Every request passes CloudFront (nothing is cached) and is inspected by the web ACL's one rule.
    const bodyGb = (traffic.events * traffic.eventBytes) / GB;
    lines.push(
      {
        service: 'Edge: CloudFront',
        usd:
          (requests / 10_000) * PRICES.cloudFrontPerTenThousandHttpsRequests +
          bodyGb * PRICES.cloudFrontPerGbToOrigin,
        basis: `${fmt(requests)} HTTPS requests, ${fmt(bodyGb)} GB sent on to the API`,
      },
      {
        service: 'Edge: AWS WAF',
        usd:
          months * (PRICES.wafPerWebAclMonth + PRICES.wafPerRuleMonth) +
          (requests / 1e6) * PRICES.wafPerMillionRequests,
        basis: `1 web ACL and 1 rule, ${fmt(requests)} requests inspected`,
      },
    );
  }

  const total = lines.reduce((sum, l) => sum + l.usd, 0);
  const loggingUsd = lines.filter((l) => l.service.startsWith(LOGS)).reduce((sum, l) => sum + l.usd, 0);
  return {
    lines,
    total,
    ingestMs: billedIngestMs,
    logging: { usd: loggingUsd, shareOfApiGateway: loggingUsd / apiGateway },
  };
}

/** Lambda's platform lines of one invocation in text form (START, END, REPORT), when not filtered out. */
const PLATFORM_LINE_BYTES = 430;
/** Customers one MERGE item takes in live traffic (packMergeItems' partitions, one event date each). */
const CUSTOMERS_PER_MERGE = ATHENA_RULES.partitionsPerStatement.limit;
/** Series by `Reason`: quarantine reasons, denial codes and dependencies that have been seen (estimate). */
const REASON_SERIES = 20;

function lambdaUsd(fn: FunctionFacts, calls: number, ms: number): number {
  const perGbSecond = fn.arm64 ? PRICES.lambdaArmPerGbSecond : PRICES.lambdaX86PerGbSecond;
  return (
    (calls / 1e6) * PRICES.lambdaPerMillionRequests + calls * (ms / 1000) * (fn.memoryMb / 1024) * perGbSecond
  );
}

const arch = (fn: FunctionFacts) => (fn.arm64 ? 'arm64' : 'x86_64');
const roundUp = (bytes: number, increment: number) => Math.ceil(bytes / increment) * increment;
const fmt = (n: number) => (n < 10 ? n.toFixed(2) : Math.round(n).toLocaleString('en-US'));
const pct = (share: number) => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)} %`;
