import { gzipSync } from 'node:zlib';
import { authorizationFor } from '../../domain/core/keys/tokens';

/** One request the fuzzer sends, and what it expects to be true of the answer. */
export interface FuzzRequest {
  kind: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** messageIds of valid messages: on a 2xx, each must land in the events lake. */
  validIds: string[];
}

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, max: number) => Math.floor(random() * max);

function randomString(random: Random, max: number): string {
  const alphabet = [
    'a',
    'Z',
    '0',
    ' ',
    '_',
    '-',
    '"',
    '\\',
    '\n',
    'é',
    '😀',
    '\u0000',
    '\u2028',
    '{',
    '}',
    '[',
    ']',
  ];
  return Array.from({ length: int(random, max) }, () => pick(random, alphabet)).join('');
}

function randomJson(random: Random, depth = 0): unknown {
  const roll = random();
  if (depth > 4 || roll < 0.3)
    return pick(random, [
      null,
      true,
      false,
      int(random, 1e6) - 5e5,
      random() * 1e9,
      randomString(random, 20),
    ]);
  if (roll < 0.6) return Array.from({ length: int(random, 5) }, () => randomJson(random, depth + 1));
  const keys = [
    'type',
    'userId',
    'user_id',
    'event',
    'messageId',
    'timestamp',
    'properties',
    '__proto__',
    'constructor',
    randomString(random, 8),
  ];
  const out: Record<string, unknown> = {};
  for (let i = int(random, 6); i > 0; i--)
    Object.defineProperty(out, pick(random, keys), {
      value: randomJson(random, depth + 1),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  return out;
}

const EVENT_SPELLINGS = [
  'sign_up',
  'signup',
  'Sign Up',
  'SIGN UP',
  'Order Completed',
  'order_completed',
  'Product Viewed',
  'button_clicked',
];

/**
 * A seeded mix of valid Segment traffic and hostile requests. `nextId` makes messageIds unique per run.
 */
export function createRequestGenerator(random: Random, authorization: string, runId: string) {
  let counter = 0;
  const nextId = () => `${runId}-${++counter}`;
  const validMessage = () => {
    const messageId = nextId();
    const type = pick(random, ['track', 'track', 'track', 'identify', 'page', 'screen', 'group']);
    const base = {
      type,
      messageId,
      userId: `user-${int(random, 50)}`,
      timestamp: new Date(
        Date.UTC(2023 + int(random, 4), int(random, 12), 1 + int(random, 28)),
      ).toISOString(),
    };
    const extra =
      type === 'track'
        ? { event: pick(random, EVENT_SPELLINGS), properties: { n: int(random, 100) } }
        : type === 'group'
          ? { groupId: 'g-1' }
          : {};
    return { ...base, ...extra };
  };
  const json = (value: unknown, extraHeaders: Record<string, string> = {}) => ({
    headers: { 'content-type': 'application/json', authorization, ...extraHeaders },
    body: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  });

  const kinds: [string, number, () => Omit<FuzzRequest, 'kind'>][] = [
    [
      'valid-single',
      30,
      () => {
        const m = validMessage();
        return { path: '/', ...json(m), validIds: [m.messageId] };
      },
    ],
    [
      'valid-batch',
      15,
      () => {
        const ms = Array.from({ length: 1 + int(random, 50) }, validMessage);
        return {
          path: '/v1/batch',
          ...json({ batch: ms, sentAt: new Date().toISOString() }),
          validIds: ms.map((m) => m.messageId),
        };
      },
    ],
    [
      'valid-gzip',
      8,
      () => {
        const ms = Array.from({ length: 1 + int(random, 20) }, validMessage);
        return {
          path: '/v1/batch',
          headers: { authorization, 'content-encoding': 'gzip' },
          body: gzipSync(JSON.stringify(ms)),
          validIds: ms.map((m) => m.messageId),
        };
      },
    ],
    [
      'mixed-batch',
      8,
      () => {
        const ms = Array.from({ length: 1 + int(random, 10) }, validMessage);
        return {
          path: '/v1/batch',
          ...json([...ms, randomJson(random), { type: 'track', userId: 'u' }]),
          validIds: ms.map((m) => m.messageId),
        };
      },
    ],
    [
      'random-json',
      10,
      () => ({ path: '/', ...json(JSON.stringify(randomJson(random)) ?? 'null'), validIds: [] }),
    ],
    [
      'random-bytes',
      5,
      () => ({
        path: '/',
        headers: { authorization },
        body: Buffer.from(Array.from({ length: int(random, 512) }, () => int(random, 256))),
        validIds: [],
      }),
    ],
    [
      'bad-gzip',
      3,
      () => ({
        path: '/',
        headers: { authorization, 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(validMessage())).subarray(0, 12),
        validIds: [],
      }),
    ],
    ['deep', 2, () => ({ path: '/', ...json(`${'['.repeat(5_000)}${']'.repeat(5_000)}`), validIds: [] })],
    [
      'invalid-message',
      6,
      () => ({
        path: '/',
        ...json({ type: pick(random, ['track', 'identify', 'alias', 'launch']), messageId: nextId() }),
        validIds: [],
      }),
    ],
    ['empty', 2, () => ({ path: '/', ...json(''), validIds: [] })],
    [
      'wrong-key',
      4,
      () => ({
        path: '/',
        headers: { authorization: authorizationFor('sgl_nope') },
        body: Buffer.from(JSON.stringify(validMessage())),
        validIds: [],
      }),
    ],
    [
      'no-key',
      2,
      () => ({ path: '/', headers: {}, body: Buffer.from(JSON.stringify(validMessage())), validIds: [] }),
    ],
    [
      'odd-path',
      2,
      () => ({
        path: pick(random, ['/v2/track', '/v1/', '/v1/track/x']),
        ...json(validMessage()),
        validIds: [],
      }),
    ],
  ];
  const total = kinds.reduce((sum, [, weight]) => sum + weight, 0);

  return (): FuzzRequest => {
    let roll = random() * total;
    for (const [kind, weight, make] of kinds) {
      roll -= weight;
      if (roll < 0) return { kind, ...make() };
    }
    const [kind, , make] = kinds[0]!;
    return { kind, ...make() };
  };
}
