import { Template } from 'aws-cdk-lib/assertions';
import { App } from 'aws-cdk-lib/core';
import cdkJson from '../../cdk.json';
import { readStackConfig } from '../../lib/config';
import { SegmentLakeStack } from '../../lib/segment-lake-stack';

/**
 * The stack as `bin/app.ts` builds it, without Lambda bundling and template validation (a real
 * `cdk synth` in test/infra/cdk-synth.test.ts covers both), so assertions stay fast.
 */
export function synthStack(context: Record<string, unknown> = {}): {
  stack: SegmentLakeStack;
  template: Template;
} {
  // The feature flags of cdk.json apply here as they do to `cdk synth`.
  const app = new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stack = new SegmentLakeStack(app, 'TestDestination', {
    config: readStackConfig(context),
    env: { account: '123456789012', region: 'us-east-1' },
  });
  return { stack, template: Template.fromStack(stack) };
}

/** Every IAM policy statement in a template, flattened. */
export function policyStatements(
  template: Template,
): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
