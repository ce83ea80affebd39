import { App, Validations } from 'aws-cdk-lib/core';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_NAME } from '../domain/contract/stack-outputs';
import { capacityLine, settingNotices } from '../lib/capacity-line';
import { readStackConfig, settingsFromContext } from '../lib/config';
import { SegmentLakeStack } from '../lib/segment-lake-stack';

/**
 * `cdk synth` / `cdk deploy`. Settings come from context (`cdk.json` or `-c key=value`), are validated
 * here, at synth, and are listed in the README. cdk-nag's AwsSolutions pack checks every synth.
 */
const app = new App();
let config: ReturnType<typeof readStackConfig>;
try {
  // Every context key that is not CDK's own must be a setting: a typo is an error, not a default.
  config = readStackConfig(settingsFromContext(app.node.getAllContext()));
} catch (error) {
  // One line that says what to fix; a stack trace would only bury it.
  process.stderr.write(`Invalid stack settings: ${(error as Error).message}\n`);
  process.exit(1);
}
const stackName = app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME;
const stack = new SegmentLakeStack(app, stackName, {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description:
    'Segment destination: HTTP API, authorizer, ingest, Kinesis/Firehose to an S3 lake, Athena catalog',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
// On stderr, so `cdk synth` can still pipe the template.
process.stderr.write(`${capacityLine(stack, config)}\n`);
for (const notice of settingNotices(config)) process.stderr.write(`${notice}\n`);
