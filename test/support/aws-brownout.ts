import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How an emulated AWS service behaves: answers at once, answers after `lateMs` (the answer is the real
 * one: a late put stores), accepts the connection and never answers, or resets the connection.
 */
export type ServiceMode = 'ok' | 'never' | 'reset' | { lateMs: number };

/** The services on the ingest function's and the authorizer's path, by their JSON protocol's target prefix. */
export type ServiceName = 'kinesis' | 'dynamodb' | 'secretsmanager';

const TARGET_PREFIX: Record<string, ServiceName> = {
  Kinesis_20131202: 'kinesis',
  DynamoDB_20120810: 'dynamodb',
  secretsmanager: 'secretsmanager',
};

/**
 * One local endpoint (AWS_ENDPOINT_URL) for Kinesis, DynamoDB and Secrets Manager that answers each
 * service's calls as `modes` says. Healthy answers are the services' own JSON shapes for the calls the
 * request path makes: PutRecords (every record stored), Query / GetItem (nothing found), PutItem /
 * UpdateItem (done), GetSecretValue (a 64-character key). Unanswered requests are kept, and destroyed
 * on close.
 */
export async function startBrownout(modes: Partial<Record<ServiceName, ServiceMode>> = {}) {
  const calls: { service: ServiceName; operation: string; at: number }[] = [];
  const stored: string[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [prefix, operation = ''] = String(req.headers['x-amz-target'] ?? '').split('.');
      const service = TARGET_PREFIX[prefix ?? ''];
      if (!service) return res.writeHead(400).end('{"__type":"UnknownOperationException"}');
      calls.push({ service, operation, at: Date.now() });
      const mode = api.modes[service] ?? 'ok';
      if (mode === 'never') return void held.push(res);
      if (mode === 'reset') return void req.socket.destroy();
      const answer = () =>
        answerFor(service, operation, JSON.parse(Buffer.concat(chunks).toString() || '{}'), stored, res);
      if (mode === 'ok') return answer();
      held.push(res);
      setTimeout(() => {
        if (!res.destroyed) answer();
      }, mode.lateMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    modes,
    calls,
    /** The data of every record PutRecords stored, decoded. */
    stored,
    count: (service: ServiceName, operation?: string) =>
      calls.filter((c) => c.service === service && (!operation || c.operation === operation)).length,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}

function answerFor(
  service: ServiceName,
  operation: string,
  body: Record<string, unknown>,
  stored: string[],
  res: ServerResponse,
): void {
  let answer: unknown = {};
  if (service === 'kinesis' && operation === 'PutRecords') {
    const records = (body.Records as { Data: string }[]) ?? [];
    for (const r of records) stored.push(Buffer.from(r.Data, 'base64').toString('utf8'));
    answer = {
      FailedRecordCount: 0,
      Records: records.map((_, i) => ({ SequenceNumber: String(i + 1), ShardId: 'shardId-000000000000' })),
    };
  } else if (service === 'dynamodb' && operation === 'Query')
    answer = { Items: [], Count: 0, ScannedCount: 0 };
  else if (service === 'secretsmanager') answer = { Name: 'audit-key', SecretString: 'k'.repeat(64) };
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
}
