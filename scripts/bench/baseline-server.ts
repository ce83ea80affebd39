import { appendFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The baseline for the local-server benchmark: node:http that reads the body, parses it as JSON and
 * appends it to a file — the least a destination could do, with none of our checks or durability.
 * Usage: node --import tsx scripts/bench/baseline-server.ts <file>
 */
const file = process.argv[2] ?? '/tmp/baseline.jsonl';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    JSON.parse(text);
    appendFile(file, `${text}\n`).then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
      () => res.writeHead(500).end(),
    );
  });
});
server.listen(0, '127.0.0.1', () =>
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
