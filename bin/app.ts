import { App, Validations } from 'aws-cdk-lib/core';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_KEYS, readStackConfig } from '../lib/config';
import { SegmentLakeStack } from '../lib/segment-lake-stack';

/**
 * `cdk synth` / `cdk deploy`. Settings come from context (`cdk.json` or `-c key=value`), are validated
 * here, at synth, and are listed in the README. cdk-nag's AwsSolutions pack checks every synth.
 */
const app = new App();
const context = Object.fromEntries(
  CONFIG_KEYS.flatMap((key) =>
    app.node.tryGetContext(key) === undefined ? [] : [[key, app.node.tryGetContext(key)]],
  ),
);
const stackName = app.node.tryGetContext('stackName') ?? 'SegmentLakeDestination';
new SegmentLakeStack(app, stackName, {
  config: readStackConfig(context),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description:
    'Segment destination: HTTP API, authorizer, ingest, Kinesis/Firehose to an S3 lake, Athena catalog',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
