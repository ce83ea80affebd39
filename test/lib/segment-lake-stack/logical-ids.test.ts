import { synthStack } from '../../support/stack';
import released from './release-logical-ids.json';

// What a deployed stack holds data or history in. CloudFormation replaces a resource whose logical ID
// changed: a retained one is orphaned and a new, empty one is created beside it — for the tokens table
// that is every key gone and every request 401, which Segment does not retry.
// (The pinned list was taken from the release's template with these types.)
const STATEFUL_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::Kinesis::Stream',
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
];

describe('safe upgrades of a deployed stack', () => {
  const { template } = synthStack();
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;

  it('pins only stateful resources', () => {
    expect(Object.values(released.resources).every((type) => STATEFUL_TYPES.includes(type))).toBe(true);
  });

  it.each(Object.entries(released.resources))(
    `keeps the logical ID of release ${released.release}'s %s (%s)`,
    (logicalId, type) => {
      expect(resources[logicalId]?.Type).toBe(type);
    },
  );
});
