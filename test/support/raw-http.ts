import net from 'node:net';

export interface RawResponse {
  status: number | null;
  text: string;
  /** ms from connect to the server closing the connection or answering. */
  elapsedMs: number;
}

/**
 * Talks HTTP over a raw socket, for what fetch will not send: broken framing, trickled bytes, giant
 * headers. Writes `chunks` with `delayMs` between them, stops writing once the server answers, and
 * resolves when the server closes or `timeoutMs` passes.
 */
export function rawRequest(
  url: string,
  chunks: (string | Buffer)[],
  options: { delayMs?: number; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve({ status: match ? Number(match[1]) : null, text: received, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 10_000);
    socket.on('data', (data) => {
      received += data.toString('latin1');
    });
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (done || received.length > 0 || socket.destroyed) return;
        socket.write(chunk);
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      }
    });
  });
}
