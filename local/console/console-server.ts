import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FileOperatorStore } from '../../adapters/local/file-operator-store';
import { CUSTOMER_ID_PATTERN } from '../../domain/contract/formats';
import type { Clock, Logger } from '../../domain/core/common/ports';
import { UNKNOWN_CUSTOMER } from '../../domain/core/console/live-view';
import type { OperatorRecord } from '../../domain/core/keys/operator-keys';
import { keyFromAuthorization } from '../../domain/core/keys/tokens';
import type { ConsoleAssets } from './console-assets';
import { signInPage } from './console-pages';
import type { ConsoleSource } from './console-source';

/** The console's paths: one prefix, so that its cookie is sent nowhere else. */
const CONSOLE_PATH = '/console/';
const COOKIE = 'console_session';

/** Sessions: how long one lasts, how many are kept (the oldest goes), how often the stream pushes. */
const CONSOLE_LIMITS = {
  sessionMs: 12 * 3_600_000,
  sessions: 1_000,
  /** Overview pushes a second, and the most messages one push carries to a page. */
  pushEveryMs: 1_000,
  messagesPerPush: 20,
  /** Pages streaming at once (each costs a timer and a little memory). */
  streams: 50,
  /** Sign-in body bytes read. */
  formBytes: 4_096,
} as const;

/**
 * Every answer: nothing but our own script and style, no framing, no referrer, nothing cached. Values
 * from events are set as text by the page (`textContent`), never as markup.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
} as const;

export interface ConsoleServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

interface Session {
  tokenId: string;
  name: string;
  expires: number;
}

/**
 * The operators' console of `npm start`, on its own port: a page, its script and style, a JSON API
 * and a server-sent event stream. Only an active operator key opens it — `Authorization: Bearer <key>`
 * or the sign-in form — and a session cookie (a random id; the key is never in it) carries the browser
 * on, since EventSource cannot send headers. Anything else is 401 with the sign-in form, never a
 * redirect. Each operator's sign-in and what they open are logged with the key's name.
 */
export async function startConsole(options: {
  port: number;
  host?: string;
  operators: FileOperatorStore;
  source: ConsoleSource;
  assets: ConsoleAssets;
  logger: Logger;
  clock: Clock;
}): Promise<ConsoleServer> {
  const { operators, source, assets, logger, clock } = options;
  const sessions = new Map<string, Session>();
  const streams = new Set<ServerResponse>();

  /** The operator of a request: by `Authorization: Bearer <operator key>`, or by the session cookie. */
  const operatorFor = (req: IncomingMessage): { session: Session; byKey?: OperatorRecord } | undefined => {
    const now = clock.now();
    const header = req.headers.authorization;
    if (header) {
      const key = /^\s*bearer\s/i.test(header) ? keyFromAuthorization(header) : undefined;
      const found = key ? operators.find(key) : undefined;
      if (!found) return undefined;
      return { session: { tokenId: found.tokenId, name: found.name, expires: now }, byKey: found };
    }
    const id = cookieValue(req.headers.cookie, COOKIE);
    const session = id ? sessions.get(id) : undefined;
    if (!id || !session) return undefined;
    // A revoked key ends its sessions at their next request.
    const active = operators.all().some((o) => o.tokenId === session.tokenId && o.status === 'active');
    if (session.expires < now || !active) {
      sessions.delete(id);
      return undefined;
    }
    return { session };
  };

  function newSession(operator: OperatorRecord): string {
    const id = randomBytes(32).toString('base64url');
    if (sessions.size >= CONSOLE_LIMITS.sessions) sessions.delete(sessions.keys().next().value as string);
    sessions.set(id, {
      tokenId: operator.tokenId,
      name: operator.name,
      expires: clock.now() + CONSOLE_LIMITS.sessionMs,
    });
    logger.info('console sign-in', { operator: operator.name, tokenId: operator.tokenId });
    return id;
  }

  const sessionCookie = (id: string) =>
    `${COOKIE}=${id}; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict; Max-Age=${CONSOLE_LIMITS.sessionMs / 1000}`;

  const refuse = (res: ServerResponse, error?: string) =>
    send(res, 401, 'text/html; charset=utf-8', signInPage(error), {
      'www-authenticate': 'Bearer realm="console"',
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    // Browsers ask for an icon on their own: nothing to show, and no error in the page's console.
    if (req.method === 'GET' && path === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS).end();
      return;
    }
    if (req.method === 'GET' && path === '/') {
      res.writeHead(308, { location: CONSOLE_PATH, ...SECURITY_HEADERS }).end();
      return;
    }
    const asset = req.method === 'GET' ? assets.get(path) : undefined;
    if (asset) return send(res, 200, asset.type, asset.body);
    if (req.method === 'POST' && path === `${CONSOLE_PATH}sign-in`) {
      const form = new URLSearchParams(await readForm(req));
      const found = operators.find((form.get('key') ?? '').trim());
      if (!found) {
        logger.warn('console sign-in refused', {});
        return refuse(
          res,
          'That key does not open the console. Use an operator key (npm run tokens -- operator create).',
        );
      }
      // After a sign-in, the page itself: a redirect would lose nothing, but a form post answered with
      // the page keeps one round trip and the rule "no redirect" simple.
      res.writeHead(303, {
        location: CONSOLE_PATH,
        'set-cookie': sessionCookie(newSession(found)),
        ...SECURITY_HEADERS,
      });
      res.end();
      return;
    }
    const consolePath = path === CONSOLE_PATH.slice(0, -1) || path.startsWith(CONSOLE_PATH);
    if (!consolePath) return send(res, 404, 'text/plain; charset=utf-8', 'Not Found');
    const who = operatorFor(req);
    if (!who) return refuse(res);
    if (path === CONSOLE_PATH.slice(0, -1)) {
      res.writeHead(308, { location: CONSOLE_PATH, ...SECURITY_HEADERS }).end();
      return;
    }
    const operator = who.session.name;
    // The page loaded with a key gets a session too: the page's EventSource cannot send the header.
    const cookie: Record<string, string> =
      who.byKey && path === CONSOLE_PATH ? { 'set-cookie': sessionCookie(newSession(who.byKey)) } : {};
    if (req.method === 'POST' && path === `${CONSOLE_PATH}sign-out`) {
      const id = cookieValue(req.headers.cookie, COOKIE);
      if (id) sessions.delete(id);
      logger.info('console sign-out', { operator: operator });
      res
        .writeHead(303, {
          location: CONSOLE_PATH,
          'set-cookie': `${COOKIE}=; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0`,
          ...SECURITY_HEADERS,
        })
        .end();
      return;
    }
    if (req.method !== 'GET')
      return send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed', cookie);
    if (path === CONSOLE_PATH) {
      logger.info('console opened', { operator: operator, view: 'overview' });
      return send(res, 200, 'text/html; charset=utf-8', assets.page(operator), cookie);
    }
    if (path === `${CONSOLE_PATH}api/overview`)
      return send(res, 200, 'application/json', JSON.stringify(await source.overview()), cookie);
    const customer = /^\/console\/api\/customers\/([^/]+)$/.exec(path);
    if (customer) {
      const customerId = decodeURIComponent(customer[1]!);
      // A customer id names folders of the lake: only a well-formed one (or the no-key row) is looked up.
      if (customerId !== UNKNOWN_CUSTOMER && !CUSTOMER_ID_PATTERN.test(customerId))
        return send(res, 404, 'text/plain; charset=utf-8', 'No such customer', cookie);
      const search = url.searchParams.get('search') ?? '';
      logger.info('console opened', { operator: operator, view: 'customer', customer: customerId, search });
      return send(
        res,
        200,
        'application/json',
        JSON.stringify(await source.customer(customerId, search)),
        cookie,
      );
    }
    if (path === `${CONSOLE_PATH}stream`) {
      // A stream outlives its request: it ends at the first push after its key is revoked or its
      // session expires, as the next request would.
      const id = cookieValue(req.headers.cookie, COOKIE);
      const tokenId = who.session.tokenId;
      const valid = () =>
        operators.all().some((o) => o.tokenId === tokenId && o.status === 'active') &&
        (who.byKey !== undefined || (id !== undefined && (sessions.get(id)?.expires ?? 0) >= clock.now()));
      return stream(res, url.searchParams.get('customer') ?? '', cookie, valid);
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'Not Found', cookie);
  }

  /**
   * Server-sent events: the overview every second, and the selected customer's new messages as they are
   * held (at most CONSOLE_LIMITS.messagesPerPush a push; the rest are in the next fetch of the panel).
   */
  function stream(
    res: ServerResponse,
    customerId: string,
    cookie: Record<string, string>,
    valid: () => boolean,
  ): void {
    if (streams.size >= CONSOLE_LIMITS.streams) {
      send(res, 503, 'text/plain; charset=utf-8', 'Too many console pages are open.', cookie);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      ...SECURITY_HEADERS,
      ...cookie,
    });
    streams.add(res);
    let pending: unknown[] = [];
    let dropped = 0;
    const unsubscribe = source.subscribe((message) => {
      if (message.customerId !== customerId) return;
      if (pending.length < CONSOLE_LIMITS.messagesPerPush) pending.push(message);
      else dropped += 1;
    });
    const push = async () => {
      if (!valid()) {
        res.end();
        return;
      }
      const overview = await source.overview();
      res.write(`event: overview\ndata: ${JSON.stringify(overview)}\n\n`);
      if (pending.length > 0 || dropped > 0) {
        res.write(`event: messages\ndata: ${JSON.stringify({ messages: pending, dropped })}\n\n`);
        pending = [];
        dropped = 0;
      }
    };
    const timer = setInterval(() => {
      push().catch(() => res.destroy());
    }, CONSOLE_LIMITS.pushEveryMs);
    push().catch(() => res.destroy());
    res.on('close', () => {
      clearInterval(timer);
      unsubscribe();
      streams.delete(res);
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      logger.error('console failure', { error: error.name, detail: error.message });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal Server Error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address.address}:${address.port}${CONSOLE_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...extra }).end(body);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** A sign-in form's body, up to CONSOLE_LIMITS.formBytes (a key is 47 characters). */
function readForm(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > CONSOLE_LIMITS.formBytes) {
        req.destroy();
        resolve('');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
