import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { EraseStore } from '../../domain/core/erasure/erase-store';

/** The erase pass's view of the lake bucket (versioned) and of Athena's results. */
export class S3EraseStore implements EraseStore {
  constructor(
    private readonly s3: S3Client,
    private readonly lakeBucket: string,
    private readonly resultsBucket: string,
    /** The workgroup's result prefix (lib/lake-catalog.ts): `athena/`. */
    private readonly resultsPrefix: string,
  ) {}

  async list(prefix: string) {
    const out: { key: string; modifiedMs: number }[] = [];
    const pages = paginateListObjectsV2({ client: this.s3 }, { Bucket: this.lakeBucket, Prefix: prefix });
    for await (const page of pages)
      for (const o of page.Contents ?? [])
        out.push({ key: o.Key!, modifiedMs: o.LastModified?.getTime() ?? 0 });
    return out;
  }

  async get(key: string) {
    try {
      const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.lakeBucket, Key: key }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Buffer | string) {
    await this.s3.send(new PutObjectCommand({ Bucket: this.lakeBucket, Key: key, Body: body }));
  }

  async remove(keys: readonly string[]) {
    // DeleteObjects takes at most 1,000 keys a call.
    for (let i = 0; i < keys.length; i += 1_000)
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.lakeBucket,
          Delete: { Objects: keys.slice(i, i + 1_000).map((Key) => ({ Key })) },
        }),
      );
  }

  async removeOldVersions(key: string) {
    let removed = 0;
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.lakeBucket,
          Prefix: key,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      const old = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter(
        (version) => version.Key === key && !version.IsLatest,
      );
      for (const version of old) {
        await this.s3.send(
          new DeleteObjectCommand({ Bucket: this.lakeBucket, Key: key, VersionId: version.VersionId }),
        );
        removed += 1;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    return removed;
  }

  async removeNoncurrent(prefix: string, maxPages: number) {
    let removed = 0;
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (let pages = 0; pages < maxPages; pages++) {
      const page = await this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: this.lakeBucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionMarker,
        }),
      );
      // The bytes of removed and replaced files; a latest delete marker stays (it holds nothing, and
      // removing it would bring back a version another page still lists).
      const doomed = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
        .filter((v) => !v.IsLatest)
        .map((v) => ({ Key: v.Key!, VersionId: v.VersionId! }));
      for (let i = 0; i < doomed.length; i += 1_000)
        await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: this.lakeBucket,
            Delete: { Objects: doomed.slice(i, i + 1_000), Quiet: true },
          }),
        );
      removed += doomed.length;
      if (!page.IsTruncated) return { removed, more: false };
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
    return { removed, more: true };
  }

  async queryResult(queryExecutionId: string) {
    const answer = await this.s3.send(
      new GetObjectCommand({
        Bucket: this.resultsBucket,
        Key: `${this.resultsPrefix}${queryExecutionId}.csv`,
      }),
    );
    return (await answer.Body?.transformToString()) ?? '';
  }

  async removeQueryResult(queryExecutionId: string) {
    const base = `${this.resultsPrefix}${queryExecutionId}`;
    await this.s3.send(
      new DeleteObjectsCommand({
        Bucket: this.resultsBucket,
        Delete: { Objects: [{ Key: `${base}.csv` }, { Key: `${base}.csv.metadata` }] },
      }),
    );
  }
}
