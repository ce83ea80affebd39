/**
 * What the cost model reads from the synthesized CloudFormation template, so that what is billed is what
 * is deployed: the functions (memory, architecture, log levels, their log groups), the log groups
 * (retention, class), the streams, the Firehose streams, the API's authorizer cache and access log, the
 * tables, the state machines with their schedules, alarms, dashboards, keys and secrets. Pure: it takes
 * the template as JSON (`cdk synth`'s output, or `Template.toJSON()`).
 */
export interface LogGroupFacts {
  id: string;
  retentionDays: number | undefined;
  infrequentAccess: boolean;
}

export interface FunctionFacts {
  id: string;
  memoryMb: number;
  arm64: boolean;
  /** JSON lines with Lambda's platform lines dropped below WARN: no START/END/REPORT a call. */
  platformLinesDropped: boolean;
  logGroup: LogGroupFacts | undefined;
  /** Its environment: strings, or references (`{ Ref: … }`) to what the stack creates. */
  environment: Record<string, unknown>;
}

interface StateMachineFacts {
  id: string;
  /** States in its definition, nested ones included (each runs at least once a run that reaches it). */
  states: number;
  /** Runs a month from the schedules that start it (30-day month). */
  runsPerMonth: number;
}

export interface StackFacts {
  /** The function behind the API's event routes, and the authorizer in front of them. */
  ingest: FunctionFacts;
  authorizer: FunctionFacts;
  /** How long API Gateway caches an authorizer's verdict per Authorization header (s). */
  authorizerCacheSeconds: number;
  accessLog: LogGroupFacts | undefined;
  /** The access log's line, as configured (its fields as templates, e.g. `$context.requestId`). */
  accessLogFormat: string;
  functions: FunctionFacts[];
  logGroups: LogGroupFacts[];
  streams: { count: number; provisionedShards: number | undefined };
  firehose: { count: number; bufferSeconds: number; dynamicPartitioning: boolean; jq: boolean };
  tables: { id: string; onDemand: boolean }[];
  stateMachines: StateMachineFacts[];
  alarms: number;
  dashboards: number;
  kmsKeys: number;
  secrets: number;
  /** The optional edge (CloudFront and AWS WAF) in front of the API. */
  edge: boolean;
  /** Days after which the lake moves objects to Standard-IA, and deletes them; undefined: never. */
  lakeTransitionDays: number | undefined;
  lakeExpireDays: number | undefined;
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}

const HOURS_A_MONTH_DAYS = 30;
const STATE_TYPES = ['Task', 'Pass', 'Choice', 'Wait', 'Succeed', 'Fail', 'Parallel', 'Map'];

/** Reads a template's facts; throws when the API, its ingest function or its authorizer is missing. */
export function stackFactsFromTemplate(template: unknown): StackFacts {
  const resources = (template as { Resources?: Record<string, Resource> }).Resources ?? {};
  const all = Object.entries(resources);
  const ofType = (type: string) => all.filter(([, r]) => r.Type === type);
  const props = (r: Resource) => r.Properties ?? {};

  const logGroups = new Map<string, LogGroupFacts>(
    ofType('AWS::Logs::LogGroup').map(([id, r]) => [
      id,
      {
        id,
        retentionDays: props(r).RetentionInDays as number | undefined,
        infrequentAccess: props(r).LogGroupClass === 'INFREQUENT_ACCESS',
      },
    ]),
  );
  const functions = new Map<string, FunctionFacts>(
    ofType('AWS::Lambda::Function').map(([id, r]) => {
      const p = props(r);
      const logging = (p.LoggingConfig ?? {}) as {
        LogFormat?: string;
        SystemLogLevel?: string;
        LogGroup?: unknown;
      };
      return [
        id,
        {
          id,
          memoryMb: (p.MemorySize as number | undefined) ?? 128,
          arm64: ((p.Architectures as string[] | undefined) ?? []).includes('arm64'),
          platformLinesDropped: logging.LogFormat === 'JSON' && logging.SystemLogLevel === 'WARN',
          logGroup: logGroups.get(refOf(logging.LogGroup) ?? ''),
          environment:
            (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
        },
      ];
    }),
  );
  // An alias or a function, as an integration or an authorizer names it.
  const functionBehind = (target: unknown): FunctionFacts | undefined => {
    const id = refOf(target) ?? getAttOf(target) ?? refInJoin(target);
    if (!id) return undefined;
    const alias = resources[id];
    if (alias?.Type === 'AWS::Lambda::Alias') return functions.get(refOf(props(alias).FunctionName) ?? '');
    return functions.get(id);
  };

  const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => props(r));
  const eventRoute = routes.find((r) => r.RouteKey === 'POST /v1/batch');
  const integrationId =
    refInJoin(eventRoute?.Target) ??
    (typeof eventRoute?.Target === 'string' ? eventRoute.Target.split('/')[1] : undefined);
  const integration = resources[integrationId ?? ''];
  const ingest = integration ? functionBehind(props(integration).IntegrationUri) : undefined;
  const authorizerResource = ofType('AWS::ApiGatewayV2::Authorizer')[0]?.[1];
  const authorizer = authorizerResource ? functionBehind(props(authorizerResource).AuthorizerUri) : undefined;
  if (!ingest || !authorizer)
    throw new Error('the template has no API route POST /v1/batch with its ingest function and authorizer');
  const stage = ofType('AWS::ApiGatewayV2::Stage')[0]?.[1];
  const accessLogSettings = (stage ? props(stage).AccessLogSettings : undefined) as
    | { DestinationArn?: unknown; Format?: string }
    | undefined;

  const streams = ofType('AWS::Kinesis::Stream').map(([, r]) => props(r));
  const provisioned = streams.find(
    (s) => (s.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode === 'PROVISIONED',
  );
  const firehoses = ofType('AWS::KinesisFirehose::DeliveryStream').map(([, r]) => {
    const s3 = (props(r).ExtendedS3DestinationConfiguration ?? {}) as Record<string, unknown>;
    const processors = ((s3.ProcessingConfiguration as { Processors?: { Type: string }[] } | undefined)
      ?.Processors ?? []) as { Type: string }[];
    return {
      bufferSeconds:
        (s3.BufferingHints as { IntervalInSeconds?: number } | undefined)?.IntervalInSeconds ?? 300,
      dynamicPartitioning:
        (s3.DynamicPartitioningConfiguration as { Enabled?: boolean } | undefined)?.Enabled === true,
      jq: processors.some((p) => p.Type === 'MetadataExtraction'),
    };
  });

  const schedules = [
    ...ofType('AWS::Scheduler::Schedule').map(([, r]) => ({
      expression: String(props(r).ScheduleExpression ?? ''),
      targets: [refOf((props(r).Target as { Arn?: unknown } | undefined)?.Arn)],
      enabled: props(r).State !== 'DISABLED',
    })),
    ...ofType('AWS::Events::Rule')
      .filter(([, r]) => props(r).ScheduleExpression)
      .map(([, r]) => ({
        expression: String(props(r).ScheduleExpression),
        targets: ((props(r).Targets as { Arn?: unknown }[] | undefined) ?? []).map((t) => refOf(t.Arn)),
        enabled: props(r).State !== 'DISABLED',
      })),
  ];
  const stateMachines = ofType('AWS::StepFunctions::StateMachine').map(([id, r]) => ({
    id,
    states: countStates(JSON.stringify(props(r).DefinitionString ?? props(r).Definition ?? '')),
    runsPerMonth: schedules
      .filter((s) => s.enabled && s.targets.includes(id))
      .reduce((sum, s) => sum + runsPerMonth(s.expression), 0),
  }));

  return {
    ingest,
    authorizer,
    authorizerCacheSeconds:
      (props(authorizerResource!).AuthorizerResultTtlInSeconds as number | undefined) ?? 0,
    accessLog: logGroups.get(getAttOf(accessLogSettings?.DestinationArn) ?? ''),
    accessLogFormat: accessLogSettings?.Format ?? '',
    functions: [...functions.values()],
    logGroups: [...logGroups.values()],
    streams: {
      count: streams.length,
      provisionedShards: provisioned ? Number(provisioned.ShardCount ?? 1) : undefined,
    },
    firehose: {
      count: firehoses.length,
      bufferSeconds: firehoses[0]?.bufferSeconds ?? 300,
      dynamicPartitioning: firehoses.some((f) => f.dynamicPartitioning),
      jq: firehoses.some((f) => f.jq),
    },
    tables: ofType('AWS::DynamoDB::Table').map(([id, r]) => ({
      id,
      onDemand: props(r).BillingMode === 'PAY_PER_REQUEST',
    })),
    stateMachines,
    alarms: ofType('AWS::CloudWatch::Alarm').length + ofType('AWS::CloudWatch::CompositeAlarm').length,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    kmsKeys: ofType('AWS::KMS::Key').length,
    secrets: ofType('AWS::SecretsManager::Secret').length,
    edge: ofType('AWS::WAFv2::WebACL').length > 0,
    ...lakeLifecycle(ofType('AWS::S3::Bucket').map(([, r]) => props(r))),
  };
}

/**
 * How often a schedule expression fires in a 30-day month: `rate(n unit)`, or a six-field `cron(…)` with
 * `*`, numbers, lists and steps in its minute and hour fields, and a day of the week or of the month.
 *
 * @example runsPerMonth('cron(5 * * * ? *)') // 720
 *
 * @internal
 */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const minutes = { minute: 1, hour: 60, day: 1440 }[rate[2]!.replace(/s$/, '') as 'minute'];
    return (HOURS_A_MONTH_DAYS * 1440) / (Number(rate[1]) * minutes);
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) return 0;
  const [minute, hour, dayOfMonth, , dayOfWeek] = cron[1]!.split(/\s+/);
  const perDay = values(minute!, 60) * values(hour!, 24);
  const days =
    dayOfWeek && dayOfWeek !== '?' && dayOfWeek !== '*'
      ? (HOURS_A_MONTH_DAYS / 7) * dayOfWeek.split(',').length
      : dayOfMonth && dayOfMonth !== '*' && dayOfMonth !== '?'
        ? dayOfMonth.split(',').length
        : HOURS_A_MONTH_DAYS;
  return perDay * days;
}

/** How many values a cron field takes in a range of `size`. */
function values(field: string, size: number): number {
  return field.split(',').reduce((sum, part) => {
    const step = /^(\*|\d+(?:-\d+)?)\/(\d+)$/.exec(part);
    if (step) return sum + Math.ceil(size / Number(step[2]));
    if (part === '*') return sum + size;
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) return sum + Number(range[2]) - Number(range[1]) + 1;
    return sum + 1;
  }, 0);
}

/** The versioned bucket's (the lake's) rule for its whole content: its move to Standard-IA and its expiry. */
function lakeLifecycle(buckets: Record<string, unknown>[]): {
  lakeTransitionDays: number | undefined;
  lakeExpireDays: number | undefined;
} {
  const lake = buckets.find(
    (b) => (b.VersioningConfiguration as { Status?: string } | undefined)?.Status === 'Enabled',
  );
  const rules = ((lake?.LifecycleConfiguration as { Rules?: Record<string, unknown>[] } | undefined)?.Rules ??
    []) as {
    Prefix?: string;
    ExpirationInDays?: number;
    Transitions?: { StorageClass: string; TransitionInDays: number }[];
  }[];
  const whole = rules.filter((rule) => !rule.Prefix);
  return {
    lakeTransitionDays: whole
      .flatMap((rule) => rule.Transitions ?? [])
      .find((t) => t.StorageClass === 'STANDARD_IA')?.TransitionInDays,
    lakeExpireDays: whole.find((rule) => rule.ExpirationInDays !== undefined)?.ExpirationInDays,
  };
}

function countStates(definition: string): number {
  let n = 0;
  for (const type of STATE_TYPES) n += definition.split(`\\"Type\\":\\"${type}\\"`).length - 1;
  return n;
}

const refOf = (value: unknown): string | undefined =>
  value && typeof value === 'object' && 'Ref' in value ? String((value as { Ref: unknown }).Ref) : undefined;

const getAttOf = (value: unknown): string | undefined =>
  value && typeof value === 'object' && 'Fn::GetAtt' in value
    ? String((value as { 'Fn::GetAtt': unknown[] })['Fn::GetAtt'][0])
    : undefined;

/** The first `Ref` inside an `Fn::Join`. */
function refInJoin(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || !('Fn::Join' in value)) return undefined;
  const parts = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  for (const part of parts) {
    const ref = refOf(part);
    if (ref) return ref;
  }
  return undefined;
}
