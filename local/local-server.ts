import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { integrationEvent, type LocalRequest, lambdaContext } from '../adapters/aws/api-gateway-events';
import { FileErasureLog } from '../adapters/local/file-erasure-log';
import { FileTokenStore } from '../adapters/local/file-token-store';
import type { PidLock } from '../adapters/local/pid-lock';
import type { SpoolFiles } from '../adapters/local/spool-files';
import { SpoolingLakeSink } from '../adapters/local/spooling-lake-sink';
import { systemClock } from '../adapters/system/clock';
import { DEFAULT_ERASE_WINDOW_HOURS } from '../domain/contract/erasure';
import { DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS, ENABLE_CALLBACK_PATH } from '../domain/contract/routes';
import {
  ForbiddenError,
  type IngestError,
  InternalError,
  NotFoundError,
  PayloadTooLargeError,
  ServerBusyError,
  UnauthorizedError,
} from '../domain/core/common/errors';
import { toHttpAnswer } from '../domain/core/common/http-answer';
import type { Clock, Logger, RecordSink } from '../domain/core/common/ports';
import type { LiveView } from '../domain/core/console/live-view';
import type { ErasureLog } from '../domain/core/erasure/erasure-log';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/core/ingest/deliver';
import { DEFAULT_LIMITS, type Limits } from '../domain/core/ingest/limits';
import { createAuthorizerHandler } from '../lambdas/authorizer/create-authorizer-handler';
import { handler as callbackHandler } from '../lambdas/callback/handler';
import { createIngestHandler } from '../lambdas/ingest/create-ingest-handler';
import { BUSY_RETRY_AFTER_SECONDS, bodyBudget, bodyWeight } from './body-budget';
import { lockDataDir } from './data-dir-lock';
import { ErasureScheduler } from './erasure-scheduler';
import { matchIngestRoute } from './routes';
import { cachedAuthorizer } from './verdict-cache';

export interface LocalServerOptions {
  dataDir: string;
  port: number;
  host?: string;
  logger: Logger;
  /** Receive times, retry back-off and spool names come from here; tests pin it. Default: the system clock. */
  clock?: Clock;
  limits?: Limits;
  retry?: RetryPolicy;
  flushIntervalMs?: number;
  /** A request whose headers take longer is refused (slow-header clients). */
  headersTimeoutMs?: number;
  /** A request that takes longer in all is refused (slow-body clients): API Gateway's 30 s. */
  requestTimeoutMs?: number;
  /** Wraps the sink, e.g. with fault injection for rehearsals (see adapters/faults). */
  wrapSink?: (sink: RecordSink) => RecordSink;
  /** The spool's file system; tests inject one with short writes and ENOSPC. */
  files?: SpoolFiles;
  /** Hours within which a Segment delete is executed (docs/privacy.md). */
  eraseWindowHours?: number;
  /** How often the server looks for delete requests due (ms): hourly. */
  eraseCheckMs?: number;
  /** How long an authorizer verdict is reused for the same header, as API Gateway does (0: never). */
  authorizerCacheTtlSeconds?: number;
  /** Inflated bytes of request bodies in flight at once (local/body-budget.ts); default 128 MiB. */
  bodyBudgetBytes?: number;
  /**
   * The operators' console's view of the traffic (local/console): shown what is stored, what is refused,
   * and told of deletes at once. None: nothing is observed.
   */
  live?: LiveView;
}

export interface LocalDestination {
  server: Server;
  url: string;
  /** Segments a previous run left in the spool and that were landed at start. */
  recoveredSegments: number;
  /** Lands everything buffered now (tests use it instead of waiting for the interval). */
  flush(): Promise<void>;
  /** Executes the delete requests due now (the hourly check does it by itself). */
  eraseDue(options?: { all?: boolean }): Promise<void>;
  /** Stops accepting, answers what is in flight, lands everything buffered. */
  close(): Promise<void>;
  /** The erasure log (the console shows its requests, by keyed hash). */
  erasures: FileErasureLog;
}

const HEADERS_TIMEOUT_MS = 10_000;
// API Gateway's integration timeout: a request that has not finished in 30 s is answered 503/504.
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The destination on one machine: the real authorizer and ingest handlers, composed with a token file
 * and a spooling lake sink, behind node:http — each request goes through them as API Gateway would.
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalDestination> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const clock = options.clock ?? systemClock;
  const lock = await lockDataDir(options.dataDir, 'npm start');
  try {
    return await serve(options, limits, clock, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function serve(
  options: LocalServerOptions,
  limits: Limits,
  clock: Clock,
  lock: PidLock,
): Promise<LocalDestination> {
  const tokens = new FileTokenStore(options.dataDir, { logger: options.logger });
  // A damaged token file stops the start here, naming the file: serving with it would answer 401.
  tokens.load();
  const sink = new SpoolingLakeSink({
    dataDir: options.dataDir,
    logger: options.logger,
    clock,
    flushIntervalMs: options.flushIntervalMs ?? 1_000,
    ...(options.files ? { files: options.files } : {}),
  });
  const recoveredSegments = await sink.start();
  const erasures = new FileErasureLog(options.dataDir);
  // A damaged request file stops the start, naming the line: serving would drop delete requests.
  erasures.all();
  const scheduler = new ErasureScheduler({
    dataDir: options.dataDir,
    erasures,
    flush: () => sink.flush(),
    clock,
    logger: options.logger,
    windowHours: options.eraseWindowHours ?? DEFAULT_ERASE_WINDOW_HOURS,
    checkMs: options.eraseCheckMs ?? 3_600_000,
  });
  const authorize = cachedAuthorizer({
    authorizer: createAuthorizerHandler({ tokens, logger: options.logger, clock }),
    tokenVersion: () => tokens.version(),
    ttlMs: (options.authorizerCacheTtlSeconds ?? DEFAULT_AUTHORIZER_CACHE_TTL_SECONDS) * 1000,
  });
  const budget = bodyBudget(options.bodyBudgetBytes);
  const live = options.live;
  const stored = options.wrapSink ? options.wrapSink(sink) : sink;
  const ingest = createIngestHandler({
    sink: live ? watchedSink(stored, live, clock) : stored,
    clock,
    retry: options.retry ?? DEFAULT_RETRY_POLICY,
    limits,
    logger: options.logger,
    erasures: live ? forgettingErasures(erasures, live) : erasures,
  });

  const handle = requestHandler({ limits, clock, live, budget, authorize, ingest });

  // Node checks the header and request timeouts on this interval (default 30 s): check often enough
  // that a trickling client is cut off close to its timeout.
  const connectionsCheckingInterval = Math.min(1_000, options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS);
  const server = createServer({ connectionsCheckingInterval }, (req, res) => {
    handle(req, res).catch((error: Error) => {
      options.logger.error('local server failure', { error: error.name, detail: error.message });
      if (!res.headersSent) answerError(res, new InternalError(error.name));
    });
  });
  server.headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  server.requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host ?? '127.0.0.1', resolve);
    });
  } catch (error) {
    await sink.close().catch(() => undefined); // what the spool recovered at start still lands
    throw error;
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  await lock.update({ url });
  scheduler.start();
  return {
    server,
    url,
    recoveredSegments,
    flush: () => sink.flush(),
    eraseDue: (opts) => scheduler.eraseDue(opts),
    erasures,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      try {
        await scheduler.stop();
        await sink.close();
        await tokens
          .flushUsage()
          .catch((error: Error) =>
            options.logger.warn('lastUsedAt not written at stop', { detail: error.message }),
          );
      } finally {
        await lock.release();
      }
    },
  };
}

/** What a request goes through, given by `serve`. */
interface RequestDeps {
  limits: Limits;
  clock: Clock;
  live: LiveView | undefined;
  budget: ReturnType<typeof bodyBudget>;
  authorize: ReturnType<typeof cachedAuthorizer>;
  ingest: ReturnType<typeof createIngestHandler>;
}

/**
 * The local stand-in for API Gateway in front of the functions: routes, the body limit and the inflated-
 * body budget, the authorizer (its verdicts cached), then the ingest function with the event API Gateway
 * would send.
 */
function requestHandler({ limits, clock, live, budget, authorize, ingest }: RequestDeps) {
  // Which customer a request was for, once the authorizer said so: the console counts refusals by it.
  const customerOf = new WeakMap<ServerResponse, string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok' });
    if (live)
      res.once('finish', () => {
        if (res.statusCode >= 400) live.refused(customerOf.get(res), clock.now());
      });
    if (req.method === 'GET' && url.pathname === ENABLE_CALLBACK_PATH) {
      const page = await callbackHandler();
      res.writeHead(page.statusCode, page.headers).end(page.body);
      return;
    }
    const route = matchIngestRoute(req.method ?? '', url.pathname);
    if (!route) return answerError(res, new NotFoundError('Not Found'));
    const body = await readBody(req, limits.maxBodyBytes);
    if (body === 'too_large') {
      const hopeless = Number(req.headers['content-length'] ?? 0) > LINGER_MAX_BYTES;
      if (hopeless) res.setHeader('connection', 'close');
      answerError(
        res,
        new PayloadTooLargeError(`The request body is larger than ${limits.maxBodyBytes} bytes.`),
      );
      // A declared body too large to read past: hang up once the answer is out.
      if (hopeless) res.once('finish', () => req.destroy());
      else lingeringClose(req);
      return;
    }
    const headers = lowerCaseHeaders(req);
    // Admitted by what the body inflates to, before it is inflated: over the budget, 503 and a retry.
    const release = budget.admit(bodyWeight(body, headers['content-encoding'], limits.maxInflatedBytes));
    if (!release) return answerError(res, new ServerBusyError(BUSY_RETRY_AFTER_SECONDS));
    try {
      await handleAdmitted(req, res, url, route, body, headers);
    } finally {
      release();
    }
  }

  async function handleAdmitted(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: NonNullable<ReturnType<typeof matchIngestRoute>>,
    body: Buffer,
    headers: Record<string, string>,
  ): Promise<void> {
    // API Gateway answers 401 itself when the authorizer's identity source is missing.
    if (!headers.authorization)
      return answerError(
        res,
        new UnauthorizedError(
          'missing_api_key',
          'Missing API key: send "Authorization: Basic base64(<apiKey>:)".',
        ),
      );
    const request: LocalRequest = {
      method: 'POST',
      path: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      sourceIp: req.socket.remoteAddress ?? '',
      body,
      ...route,
    };
    const requestId = randomUUID();
    const now = new Date(clock.now());
    const verdict = await authorize(request, requestId, now);
    if (!verdict.isAuthorized) return answerError(res, new ForbiddenError('Forbidden'));
    if (verdict.context && 'customerId' in verdict.context) customerOf.set(res, verdict.context.customerId);
    const answer = await ingest(
      integrationEvent(request, requestId, now, verdict.context),
      lambdaContext('ingest', requestId),
    );
    res.writeHead(answer.statusCode, answer.headers).end(answer.body);
  }

  return handle;
}

/** The sink as ingest sees it, telling the console's live view what it acknowledged. */
function watchedSink(sink: RecordSink, live: LiveView, clock: Clock): RecordSink {
  return {
    maxRecordBytes: sink.maxRecordBytes,
    ...(sink.allOrNothing === undefined ? {} : { allOrNothing: sink.allOrNothing }),
    async put(records, signal) {
      const outcomes = await sink.put(records, signal);
      const acknowledged = records.filter((_, i) => outcomes[i]?.ok);
      if (acknowledged.length > 0) live.stored(acknowledged, clock.now());
      return outcomes;
    },
  };
}

/** The erasure log as ingest sees it: once a delete is recorded, the live view forgets the user at once. */
function forgettingErasures(erasures: ErasureLog, live: LiveView): ErasureLog {
  return {
    async record(requests, signal) {
      await erasures.record(requests, signal);
      const byCustomer = new Map<string, string[]>();
      for (const r of requests)
        byCustomer.set(r.customer_id, [...(byCustomer.get(r.customer_id) ?? []), r.user_id]);
      for (const [customerId, users] of byCustomer) live.forget(customerId, users);
    },
    erasedFilter: (customerId, signal) => erasures.erasedFilter(customerId, signal),
  };
}

// After an early 413, the rest of the upload is read and dropped before the connection is reused or
// closed (what nginx and Apache call a lingering close): closing at once resets a client that is still
// sending, which then sees ECONNRESET instead of the 413. Bounded: at most this many more bytes, this
// long in all, and this long without a byte; past any bound the connection is cut.
const LINGER_MAX_BYTES = 16 * 1024 * 1024;
const LINGER_MAX_MS = 5_000;
const LINGER_IDLE_MS = 500;

function lingeringClose(req: IncomingMessage): void {
  const cut = () => req.socket.destroy();
  let drained = 0;
  let idle = setTimeout(cut, LINGER_IDLE_MS);
  const overall = setTimeout(cut, LINGER_MAX_MS);
  const stop = () => {
    clearTimeout(idle);
    clearTimeout(overall);
  };
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    clearTimeout(idle);
    if (drained > LINGER_MAX_BYTES) {
      cut();
      return;
    }
    idle = setTimeout(cut, LINGER_IDLE_MS);
  });
  req.once('end', stop);
  req.once('close', stop);
  req.resume();
}

/** Every error answer goes through the core's one mapping, as the Lambda handlers' do. */
function answerError(res: ServerResponse, error: IngestError): void {
  const { statusCode, headers, body } = toHttpAnswer(error);
  res.writeHead(statusCode, headers).end(body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

/** Reads a body, enforcing the size limit up front (Content-Length) and while it streams in. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.pause();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
