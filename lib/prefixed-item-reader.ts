import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * A Distributed Map's JSON item reader whose key is chosen at run time, granted only the prefix its files
 * are written under. CDK's S3JsonItemReader cannot know a JSONata key's prefix, so it grants
 * `s3:GetObject` on the whole bucket — which gave the compaction and erasure machines every customer's
 * objects. test/lib/segment-lake-stack/service-paths.test.ts holds each machine to its prefixes.
 */
export class PrefixedJsonItemReader extends sfn.S3JsonItemReader {
  private readonly lake: s3.IBucket;
  private readonly prefix: string;

  constructor(props: { bucket: s3.IBucket; key: string; prefix: string }) {
    super({ bucket: props.bucket, key: props.key });
    this.lake = props.bucket;
    this.prefix = props.prefix;
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.lake.arnForObjects(`${this.prefix}/*`)],
      }),
    ];
  }
}
