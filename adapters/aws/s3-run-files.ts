import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RunFiles } from '../../domain/core/lake/compaction-run';
import { listKeys, removeUnder } from './s3-objects';

/** A compaction run's files in the lake bucket, and Athena's results in the query-results bucket. */
export class S3RunFiles implements RunFiles {
  constructor(
    private readonly s3: S3Client,
    private readonly lakeBucket: string,
    private readonly resultsBucket: string,
    /** The workgroup's result prefix (lib/lake-catalog.ts): `athena/`. */
    private readonly resultsPrefix: string,
  ) {}

  async put(key: string, body: string) {
    await this.s3.send(new PutObjectCommand({ Bucket: this.lakeBucket, Key: key, Body: body }));
  }

  get(key: string) {
    return this.read(this.lakeBucket, key);
  }

  queryResult(queryExecutionId: string) {
    return this.read(this.resultsBucket, `${this.resultsPrefix}${queryExecutionId}.csv`);
  }

  async removePrefix(prefix: string) {
    await removeUnder(this.s3, this.lakeBucket, prefix);
  }

  list(prefix: string) {
    return listKeys(this.s3, this.lakeBucket, prefix);
  }

  private async read(bucket: string, key: string): Promise<string> {
    const answer = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await answer.Body?.transformToString()) ?? '';
  }
}
