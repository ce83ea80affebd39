import { openSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The floor of the local-server benchmark: the fastest simple server that still keeps what it is sent.
 * node:http reads the body, parses it as JSON and appends it to a file opened once, with a synchronous
 * write on the event loop — no open per request, no thread-pool round trip, no fsync, none of our
 * checks. (An earlier floor opened the file for every request with `appendFile` through the thread pool,
 * which made it slower than this and so flattered us: docs/performance.md, "The server's floor".)
 * Usage: node --require tsx/cjs scripts/bench/baseline-server.ts <file>
 */
const file = process.argv[2] ?? '/tmp/baseline.jsonl';
const fd = openSync(file, 'a');
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      JSON.parse(text);
      writeSync(fd, `${text}\n`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch {
      res.writeHead(500).end();
    }
  });
});
server.listen(0, '127.0.0.1', () =>
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
