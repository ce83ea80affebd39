import {
  DeleteObjectsCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../domain/core/common/ports';

/**
 * The few object operations the intent, audience and refresh functions share. Listing is paged by
 * S3 (at most 1,000 keys a page), and removal deletes page by page, so a DeleteObjects call never
 * names more than its limit of 1,000 keys
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
 */
async function* keysUnder(s3: S3Client, bucket: string, prefix: string): AsyncGenerator<string[]> {
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix }))
    yield (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
}

/** Every key under a prefix. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of keysUnder(s3, bucket, prefix)) keys.push(...page);
  return keys;
}

/** Every object under a prefix removed, one DeleteObjects per listed page; how many. */
export async function removeUnder(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let removed = 0;
  for await (const page of keysUnder(s3, bucket, prefix)) {
    if (page.length === 0) continue;
    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: page.map((Key) => ({ Key })) } }),
    );
    removed += page.length;
  }
  return removed;
}

/** An object's bytes (it must exist). */
async function readBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

/** The folders one level under a prefix (S3's common prefixes for `/`), each ending in `/`. */
async function foldersUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const folders: string[] = [];
  const pages = paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' });
  for await (const page of pages)
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix);
  return folders;
}

/**
 * An object's text, or undefined when there is none.
 *
 * @internal
 */
export async function readText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body!.transformToString('utf8');
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** A value written as pretty JSON. */
async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(value, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
}

/** Rows written as JSON lines. */
async function putJsonLines(
  s3: S3Client,
  bucket: string,
  key: string,
  rows: readonly unknown[],
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: rows.map((row) => `${JSON.stringify(row)}\n`).join(''),
      ContentType: 'application/x-ndjson',
    }),
  );
}

/** S3 as the functions' ObjectStore: the operations above, given the client once. */
export function s3ObjectStore(s3: S3Client): ObjectStore {
  return {
    listKeys: (bucket, prefix) => listKeys(s3, bucket, prefix),
    foldersUnder: (bucket, prefix) => foldersUnder(s3, bucket, prefix),
    readBytes: (bucket, key) => readBytes(s3, bucket, key),
    readText: (bucket, key) => readText(s3, bucket, key),
    putJson: (bucket, key, value) => putJson(s3, bucket, key, value),
    putJsonLines: (bucket, key, rows) => putJsonLines(s3, bucket, key, rows),
    removeUnder: (bucket, prefix) => removeUnder(s3, bucket, prefix),
  };
}
