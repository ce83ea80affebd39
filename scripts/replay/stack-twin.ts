import { App } from 'aws-cdk-lib/core';
import cdkJson from '../../cdk.json';
import { CAPACITY_METADATA, type CapacityMetadata } from '../../lib/capacity-metadata';
import { readStackConfig } from '../../lib/config';
import { SegmentLakeStack } from '../../lib/segment-lake-stack';

/** What `npm run replay-sim` models of a stack, read from its synthesized CloudFormation template. */
export interface StackUnderLoad {
  capacity: CapacityMetadata;
  delivery: 'stream' | 'direct';
  /** Provisioned shards per Kinesis stream; undefined: on-demand. */
  streamShards: number | undefined;
  stageRateLimit: number;
  stageBurstLimit: number;
  authorizerCacheTtlSeconds: number;
  /** Concurrency reserved for the authorizer; 0: none. */
  authorizerReservedConcurrency: number;
  /** Events per second per customer; undefined: no fair share. */
  fairShareEventsPerSecond: number | undefined;
}

// A template is untyped JSON: the properties read below are checked by test/scripts/replay/replay-forecast.test.ts.
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties have no one type
type Resource = { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, string> };
type TemplateJson = { Resources: Record<string, Resource>; Metadata?: Record<string, unknown> };

const ofType = (t: TemplateJson, type: string) => Object.values(t.Resources).filter((r) => r.Type === type);
/** A function by its construct path: `<stack>/Ingest/<part>/Function/Resource` (lib/ingest-api.ts). */
const fn = (t: TemplateJson, part: 'Ingest' | 'Authorizer') =>
  ofType(t, 'AWS::Lambda::Function').find((r) =>
    r.Metadata?.['aws:cdk:path']?.includes(`/Ingest/${part}/Function/`),
  );

/** Reads the settings that decide behaviour under load from a synthesized template. */
export function stackFromTemplate(template: TemplateJson): StackUnderLoad {
  const capacity = template.Metadata?.[CAPACITY_METADATA] as CapacityMetadata | undefined;
  if (!capacity)
    throw new Error(`the template has no ${CAPACITY_METADATA} metadata: synthesize it with this release`);
  const streams = ofType(template, 'AWS::Kinesis::Stream');
  const stage = ofType(template, 'AWS::ApiGatewayV2::Stage')[0]?.Properties?.DefaultRouteSettings ?? {};
  const authorizer = ofType(template, 'AWS::ApiGatewayV2::Authorizer').find(
    (a) => a.Properties?.AuthorizerType === 'REQUEST',
  );
  const fairShare = fn(template, 'Ingest')?.Properties?.Environment?.Variables?.FAIR_SHARE_EVENTS_PER_SECOND;
  return {
    capacity,
    delivery: streams.length > 0 ? 'stream' : 'direct',
    streamShards: streams[0]?.Properties?.ShardCount,
    stageRateLimit: stage.ThrottlingRateLimit,
    stageBurstLimit: stage.ThrottlingBurstLimit,
    authorizerCacheTtlSeconds: authorizer?.Properties?.AuthorizerResultTtlInSeconds ?? 0,
    authorizerReservedConcurrency: fn(template, 'Authorizer')?.Properties?.ReservedConcurrentExecutions ?? 0,
    fairShareEventsPerSecond: fairShare === undefined ? undefined : Number(fairShare),
  };
}

/**
 * The template `cdk synth -c key=value …` would produce for these settings, synthesized in this process
 * (validated as `cdk synth` does, without bundling the functions, which the model does not read).
 */
export function synthesizeTemplate(settings: Record<string, string>): TemplateJson {
  const app = new App({
    // Path metadata names the functions, as in a `cdk synth` template.
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true },
    builtinCloudFormationValidation: false,
  });
  const stack = new SegmentLakeStack(app, 'ReplaySim', { config: readStackConfig(settings) });
  return app.synth().getStackByName(stack.stackName).template as TemplateJson;
}
