import { canonicalizeFields } from '../messages/canonical-fields';
import { parseIsoTimestamp } from '../messages/timestamps';

/** A user to erase from one customer's data: the id, and the last instant Segment received data to erase. */
export interface UserToErase {
  userId: string;
  /** Epoch ms: messages Segment received up to here are erased; later ones are new data. */
  cutoffMs: number;
}

type Row = Record<string, unknown>;

/**
 * Decides, for one customer, which records are about the users being erased. Two passes: `link` learns
 * from every event the anonymous ids the customer's data ties to those users (an identify, an alias's
 * `previousId`, any message carrying both ids), then `matches*` picks the records to remove. Pure: the
 * local erase, the AWS rewrite and the verification all use it.
 */
export class ErasureMatcher {
  private readonly users = new Map<string, number>();
  private readonly anonymous = new Map<string, number>();

  constructor(
    readonly customerId: string,
    users: readonly UserToErase[],
    /** Links already found (a resumed run): anonymous id → cut-off. */
    linked: readonly UserToErase[] = [],
  ) {
    for (const { userId, cutoffMs } of users) keepLatest(this.users, userId, cutoffMs);
    for (const { userId, cutoffMs } of linked) keepLatest(this.anonymous, userId, cutoffMs);
  }

  /** Learns links from one landing event line (or curated row: the same fields). */
  link(record: Row): void {
    if (record.customer_id !== this.customerId) return;
    const message = messageOf(record);
    const userId = idOf(record.user_id ?? message?.userId);
    const cutoff = userId === undefined ? undefined : this.users.get(userId);
    if (cutoff === undefined) return;
    const anonymousId = idOf(record.anonymous_id ?? message?.anonymousId);
    if (anonymousId !== undefined) keepLatest(this.anonymous, anonymousId, cutoff);
    const previousId = idOf(message?.previousId);
    if (previousId !== undefined && previousId !== userId) keepLatest(this.anonymous, previousId, cutoff);
  }

  /** The anonymous ids linked so far, with the cut-off of the user they belong to. */
  linked(): UserToErase[] {
    return [...this.anonymous].map(([userId, cutoffMs]) => ({ userId, cutoffMs }));
  }

  /** Every id being erased (users and linked anonymous ids). */
  ids(): string[] {
    return [...new Set([...this.users.keys(), ...this.anonymous.keys()])];
  }

  /** An event line or curated row about an erased user, received by Segment before the cut-off. */
  matchesEvent(record: Row): boolean {
    if (record.customer_id !== this.customerId) return false;
    const message = messageOf(record);
    const at = receivedMs(message, record.received_at);
    return this.about(
      idOf(record.user_id ?? message?.userId),
      idOf(record.anonymous_id ?? message?.anonymousId),
      idOf(message?.previousId),
      at,
    );
  }

  /**
   * A quarantine entry about an erased user: its message (any casing of the id fields), or — for a
   * body that could not be read as messages — any mention of an erased id in the kept text.
   */
  matchesQuarantine(record: Row): boolean {
    if (record.customer_id !== this.customerId) return false;
    const raw = record.raw;
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const fields = canonicalizeFields(raw as Row);
      const at = receivedMs(fields, record.received_at);
      if (this.about(idOf(fields.userId), idOf(fields.anonymousId), idOf(fields.previousId), at)) return true;
    }
    const atFallback = receivedMs(undefined, record.received_at);
    for (const text of [record.raw_body, typeof raw === 'string' ? raw : undefined])
      if (typeof text === 'string' && this.mentionedBefore(text, atFallback)) return true;
    return false;
  }

  /** A score row (or any derived row) naming an erased id: derived data has no receive time of its own. */
  matchesIds(...ids: unknown[]): boolean {
    return ids.some((id) => {
      const text = idOf(id);
      return text !== undefined && (this.users.has(text) || this.anonymous.has(text));
    });
  }

  /** Whether a text (a raw body, a damaged spool record) names an erased id as a JSON value. */
  mentions(text: string): boolean {
    return this.ids().some((id) => mentionsId(text, id));
  }

  private mentionedBefore(text: string, at: number | undefined): boolean {
    for (const [id, cutoff] of [...this.users, ...this.anonymous])
      if ((at === undefined || at <= cutoff) && mentionsId(text, id)) return true;
    return false;
  }

  /**
   * A message is about an erased user when it carries their user id; one that carries another user's id
   * is that user's, whatever anonymous id it shares with them (a shared device: bob's own messages are
   * never erased with alice's). An anonymous-only message is about them when its anonymous id (or an
   * alias's previous id) is linked to them — privacy first, shared devices included.
   */
  private about(
    userId: string | undefined,
    anonymousId: string | undefined,
    previousId: string | undefined,
    at: number | undefined,
  ): boolean {
    const before = (cutoff: number | undefined) => cutoff !== undefined && (at === undefined || at <= cutoff);
    if (userId !== undefined) return before(this.users.get(userId));
    if (anonymousId !== undefined && before(this.anonymous.get(anonymousId))) return true;
    if (
      previousId !== undefined &&
      (before(this.users.get(previousId)) || before(this.anonymous.get(previousId)))
    )
      return true;
    return false;
  }
}

function keepLatest(map: Map<string, number>, id: string, cutoff: number): void {
  const known = map.get(id);
  if (known === undefined || cutoff > known) map.set(id, cutoff);
}

/** Ids arrive as strings, or as numbers that mean the same id (message-schema.ts). */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The message of a landing line (an object) or a curated row (JSON text). */
function messageOf(record: Row): Row | undefined {
  const message = record.message;
  if (message !== null && typeof message === 'object') return message as Row;
  if (typeof message === 'string') {
    try {
      const parsed: unknown = JSON.parse(message);
      return parsed !== null && typeof parsed === 'object' ? (parsed as Row) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** When Segment received a message: its own `receivedAt`, else when we did. */
function receivedMs(message: Row | undefined, ours: unknown): number | undefined {
  const theirs = typeof message?.receivedAt === 'string' ? parseIsoTimestamp(message.receivedAt) : undefined;
  if (theirs !== undefined) return theirs;
  if (typeof ours === 'string') return parseIsoTimestamp(ours) ?? (Date.parse(ours) || undefined);
  if (ours instanceof Date) return ours.getTime();
  return undefined;
}

/**
 * `"id"` as a JSON string, or a numeric id as a bare JSON number: never a substring of another value.
 *
 * @internal
 */
export function mentionsId(text: string, id: string): boolean {
  if (text.includes(JSON.stringify(id))) return true;
  if (/^-?\d+(\.\d+)?$/.test(id))
    return new RegExp(`(^|[^\\w.-])${id.replace('.', '\\.')}($|[^\\w.-])`).test(text);
  return false;
}
