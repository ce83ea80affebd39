import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { readLake } from '../../local/read-lake';

export interface LakeIds {
  events: string[];
  quarantine: string[];
}

/** messageIds in the local lake (`<dataDir>/lake`). */
export function localLakeIds(lakeRoot: string, customers: string[]): LakeIds {
  const keep = (key: string) => customers.some((c) => key.includes(`/customer_id=${c}/`));
  return {
    events: readLake(lakeRoot, 'events')
      .filter((l) => keep(l.key))
      .map((l) => l.record.message_id as string),
    quarantine: readLake(lakeRoot, 'quarantine')
      .filter((l) => keep(l.key))
      .map((l) => l.record.message_id as string),
  };
}

/** messageIds in a deployed lake bucket, for the given customers (standard AWS credential chain). */
export async function s3LakeIds(bucket: string, customers: string[]): Promise<LakeIds> {
  const s3 = new S3Client({});
  const read = async (area: 'events' | 'quarantine') => {
    const ids: string[] = [];
    for (const customer of customers) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: `${area}/customer_id=${customer}/`,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
          const text = gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8');
          for (const line of text.split('\n')) if (line) ids.push(JSON.parse(line).message_id);
        }
        token = page.NextContinuationToken;
      } while (token);
    }
    return ids;
  };
  return { events: await read('events'), quarantine: await read('quarantine') };
}
