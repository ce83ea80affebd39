import { App } from 'aws-cdk-lib/core';
import cdkJson from '../cdk.json';
import { readStackConfig } from './config';
import { SegmentLakeStack } from './segment-lake-stack';

/**
 * The stack as `bin/app.ts` builds it from these settings, synthesized offline: no Lambda bundling, no
 * template validation, a placeholder account in us-east-1 (the region prices.ts and the edge assume).
 * What `npm run cost` reads its facts from, and what the infrastructure tests assert on.
 */
export function synthOffline(settings: Record<string, unknown> = {}): { stack: SegmentLakeStack; app: App } {
  // The feature flags of cdk.json apply here as they do to `cdk synth`.
  const app = new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stack = new SegmentLakeStack(app, 'TestDestination', {
    config: readStackConfig(settings),
    env: { account: '123456789012', region: 'us-east-1' },
  });
  return { stack, app };
}
