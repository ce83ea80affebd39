import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { customerLandingPrefix, type LakeArea, partitionCustomer } from '../../domain/contract/lake-areas';
import { readLake } from '../../local/read-lake';

export interface LakeIds {
  events: string[];
  quarantine: string[];
}

/**
 * messageIds in the local lake (`<dataDir>/lake`) of the given customers. Chosen by each line's own
 * customer_id, not by its path: quarantine lines of every customer share one landing partition.
 */
export function localLakeIds(lakeRoot: string, customers: string[]): LakeIds {
  const ours = new Set(customers);
  const ids = (area: LakeArea) =>
    readLake(lakeRoot, area)
      .filter((l) => ours.has(l.record.customer_id as string))
      .map((l) => l.record.message_id as string);
  return { events: ids('events'), quarantine: ids('quarantine') };
}

/** messageIds in a deployed lake bucket, for the given customers (standard AWS credential chain). */
export async function s3LakeIds(bucket: string, customers: string[]): Promise<LakeIds> {
  const s3 = new S3Client({});
  const ours = new Set(customers);
  const read = async (area: LakeArea) => {
    const ids: string[] = [];
    // The landing partitions these customers' lines are in (one shared partition for quarantine).
    const partitions = new Set(customers.map((c) => partitionCustomer(area, c)));
    for (const partition of partitions) {
      const pages = paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: customerLandingPrefix(area, partition) },
      );
      for await (const page of pages)
        for (const object of page.Contents ?? []) {
          const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
          const text = gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8');
          for (const line of text.split('\n')) {
            if (!line) continue;
            const record = JSON.parse(line);
            if (ours.has(record.customer_id)) ids.push(record.message_id);
          }
        }
    }
    return ids;
  };
  return { events: await read('events'), quarantine: await read('quarantine') };
}
