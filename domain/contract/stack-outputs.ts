/**
 * The stack's name unless `-c stackName=…` says otherwise, and the outputs operators and our commands
 * read from it (`aws cloudformation describe-stacks`, `npm run smoke`). The stack declares each output
 * under these names; the smoke test reads them by the same names.
 */
export const DEFAULT_STACK_NAME = 'SegmentLakeDestination';

export const STACK_OUTPUTS = {
  endpointUrl: 'EndpointUrl',
  adminApiArn: 'AdminApiArn',
  tokensTable: 'TokensTableName',
  lakeBucket: 'LakeBucketName',
  alarmTopic: 'AlarmTopicArn',
  alarmPathCheck: 'AlarmPathCheckAlarmName',
  dashboard: 'DashboardName',
  glueDatabase: 'GlueDatabase',
  athenaWorkGroup: 'AthenaWorkGroup',
  compaction: 'CompactionStateMachineArn',
  intent: 'IntentStateMachineArn',
  audiences: 'AudienceStateMachineArn',
  refresh: 'RefreshStateMachineArn',
  deliveryStream: 'DeliveryStreamName',
  deliveryShards: 'DeliveryShards',
  eventStream: 'EventStreamName',
  erasureTable: 'ErasureTableName',
  erasure: 'ErasureStateMachineArn',
} as const;

/** The Glue database of a stack (output GlueDatabase): its name in lower case, `_` for the rest. */
export function glueDatabaseName(stackName: string): string {
  return stackName.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}
