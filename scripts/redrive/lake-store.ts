import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';

/** The few things the redrive does to a lake: list, read, move aside, and keep its own state. */
export interface LakeStore {
  list(prefix: string): Promise<string[]>;
  read(key: string): Promise<Buffer>;
  move(key: string, toKey: string): Promise<void>;
  readState(): Promise<string[]>;
  writeState(done: string[]): Promise<void>;
}

const STATE_KEY = 'redrive/quarantine-redriven.json';

/** The local lake (`$DATA_DIR/lake`), with the same keys as the bucket. */
export function localLakeStore(lakeRoot: string): LakeStore {
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir).flatMap((name) =>
          statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)],
        )
      : [];
  return {
    list: async (prefix) =>
      walk(join(lakeRoot, prefix))
        .map((path) => relative(lakeRoot, path))
        .filter((key) => !key.endsWith('.tmp'))
        .sort(),
    read: async (key) => readFileSync(join(lakeRoot, key)),
    move: async (key, toKey) => {
      mkdirSync(dirname(join(lakeRoot, toKey)), { recursive: true });
      renameSync(join(lakeRoot, key), join(lakeRoot, toKey));
    },
    readState: async () =>
      existsSync(join(lakeRoot, STATE_KEY))
        ? JSON.parse(readFileSync(join(lakeRoot, STATE_KEY), 'utf8'))
        : [],
    writeState: async (done) => {
      mkdirSync(dirname(join(lakeRoot, STATE_KEY)), { recursive: true });
      writeFileSync(join(lakeRoot, STATE_KEY), JSON.stringify(done));
    },
  };
}

/** A deployed lake bucket (standard AWS credential chain). */
export function s3LakeStore(bucket: string, s3 = new S3Client({})): LakeStore {
  return {
    async list(prefix) {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix }))
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      return keys.sort();
    },
    async read(key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    },
    async move(key, toKey) {
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: toKey,
          CopySource: `${bucket}/${encodeURIComponent(key)}`,
        }),
      );
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    async readState() {
      try {
        return JSON.parse((await this.read(STATE_KEY)).toString('utf8'));
      } catch {
        return [];
      }
    },
    async writeState(done) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: STATE_KEY,
          Body: JSON.stringify(done),
          ContentType: 'application/json',
        }),
      );
    },
  };
}
