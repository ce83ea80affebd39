import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the AWS JSON APIs the functions call on their first event (Kinesis
 * PutRecords, Firehose PutRecordBatch, DynamoDB GetItem/UpdateItem), answering at once, so a cold
 * start is measured without a network. `items` answers GetItem by partition key.
 */
export async function startAwsStub(
  items: Record<string, Record<string, unknown>>,
): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
      let answer: unknown = {};
      if (target.endsWith('.PutRecords'))
        answer = {
          FailedRecordCount: 0,
          Records: body.Records.map(() => ({ SequenceNumber: '1', ShardId: 'shardId-000000000000' })),
        };
      else if (target.endsWith('.PutRecordBatch'))
        answer = { FailedPutCount: 0, RequestResponses: body.Records.map(() => ({ RecordId: '1' })) };
      else if (target.endsWith('.GetItem'))
        answer = items[body.Key?.pk?.S] ? { Item: items[body.Key.pk.S] } : {};
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
