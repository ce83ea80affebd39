import type { PackedRecord } from '../common/ports';

/**
 * What the operators' console shows of the traffic now: per customer, counts by minute (events,
 * quarantined messages, refused requests), when it was last seen, and a sample of its latest messages
 * (the normalized record and the message as sent), quarantine reasons and tracking-plan violations.
 *
 * Bounded by design, so that it never costs ingest more than a sliver and never grows: it counts every
 * record it is shown, but parses at most LIVE_LIMITS.parsedLinesPerSecond lines a second (the rest are
 * counted, not kept); it holds at most LIVE_LIMITS.messages messages in all, each cut at
 * LIVE_LIMITS.messageChars; it follows at most LIVE_LIMITS.customers customers. Memory only: nothing is
 * written anywhere, and `forget` removes a user's messages at once when a `delete` is recorded.
 */
export const LIVE_LIMITS = {
  /** Lines parsed a second, across customers (≈ 4 ms of CPU a second at 20 µs a line). */
  parsedLinesPerSecond: 200,
  /** Messages held, across customers: oldest first out. */
  messages: 2_000,
  /** Characters kept of a record and of a message as sent (≤ 2 × 16 K × 2,000 ≈ 128 MB at most; far less in practice). */
  messageChars: 16_384,
  /** Customers followed; the one seen longest ago goes first. */
  customers: 10_000,
  /** Minutes of counts kept per customer (the charts). */
  minutes: 30,
} as const;

export interface LiveMessage {
  seq: number;
  customerId: string;
  kind: 'event' | 'quarantine';
  receivedAt: string;
  messageId: string | null;
  userId: string | null;
  anonymousId: string | null;
  type: string | null;
  event: string | null;
  /** Why a quarantined message was refused. */
  reason: { code: string; message: string } | null;
  /** Tracking-plan violations of an event (rule and path). */
  violations: { rule: string; path: string; message: string }[];
  /** The lake line as stored (JSON), and the message as the sender sent it (JSON), each maybe cut. */
  record: string;
  sent: string;
}

export interface MinuteCounts {
  /** The minute's start, epoch ms. */
  minute: number;
  events: number;
  quarantined: number;
  refused: number;
}

export interface CustomerOverview {
  customerId: string;
  lastSeen: string;
  /** The last LIVE_LIMITS.minutes minutes, oldest first, the current one last. */
  minutes: MinuteCounts[];
  totals: { events: number; quarantined: number; refused: number };
}

export interface CustomerDetail {
  overview: CustomerOverview | undefined;
  messages: LiveMessage[];
  quarantineReasons: { code: string; count: number; examples: LiveMessage[] }[];
  violations: { rule: string; count: number; examples: LiveMessage[] }[];
}

/** Requests refused before any customer is known (no key, an unknown or revoked key). */
export const UNKNOWN_CUSTOMER = '(no valid key)';

interface CustomerState {
  customerId: string;
  lastSeen: number;
  minutes: MinuteCounts[];
  totals: { events: number; quarantined: number; refused: number };
  reasons: Map<string, number>;
  rules: Map<string, number>;
  messages: LiveMessage[];
}

const MINUTE = 60_000;

export class LiveView {
  private readonly customers = new Map<string, CustomerState>();
  /** Every held message, oldest first (across customers). */
  private readonly held: LiveMessage[] = [];
  private seq = 0;
  private second = 0;
  private parsedThisSecond = 0;
  private readonly listeners = new Set<(message: LiveMessage) => void>();

  constructor(private readonly limits: { readonly [K in keyof typeof LIVE_LIMITS]: number } = LIVE_LIMITS) {}

  /** Records the sink stored (acknowledged): counted always, their lines parsed within the budget. */
  stored(records: readonly PackedRecord[], now: number): void {
    for (const record of records) {
      if (record.area !== 'events' && record.area !== 'quarantine') continue;
      const state = this.customer(record.customerId, now);
      const minute = this.minute(state, now);
      if (record.area === 'events') {
        minute.events += record.count;
        state.totals.events += record.count;
      } else {
        minute.quarantined += record.count;
        state.totals.quarantined += record.count;
      }
      if (!this.mayParse(now)) continue;
      for (const line of record.data.toString('utf8').split('\n')) {
        if (line.length === 0) continue;
        if (!this.mayParse(now)) break;
        this.parsedThisSecond += 1;
        const message = this.parse(record.customerId, record.area, line);
        if (message) this.hold(state, message);
      }
    }
  }

  /** A request answered with a refusal (4xx or 5xx), for a customer or for no valid key. */
  refused(customerId: string | undefined, now: number): void {
    const state = this.customer(customerId ?? UNKNOWN_CUSTOMER, now);
    this.minute(state, now).refused += 1;
    state.totals.refused += 1;
  }

  /**
   * A `delete` was recorded: the user's messages go at once, and those of every anonymous id seen with
   * them here (privacy first, as the erase pass does).
   */
  forget(customerId: string, userIds: readonly string[]): void {
    const state = this.customers.get(customerId);
    if (!state) return;
    const users = new Set(userIds);
    const anonymous = new Set<string>();
    for (const m of state.messages)
      if (m.userId && users.has(m.userId) && m.anonymousId) anonymous.add(m.anonymousId);
    const gone = (m: LiveMessage) =>
      (m.userId !== null && users.has(m.userId)) || (m.anonymousId !== null && anonymous.has(m.anonymousId));
    state.messages = state.messages.filter((m) => !gone(m));
    for (let i = this.held.length - 1; i >= 0; i--) {
      const m = this.held[i]!;
      if (m.customerId === customerId && gone(m)) this.held.splice(i, 1);
    }
  }

  /** Every customer followed, the one seen last first. */
  overview(now: number): CustomerOverview[] {
    return [...this.customers.values()]
      .sort((a, b) => b.lastSeen - a.lastSeen)
      .map((state) => this.overviewOf(state, now));
  }

  /** One customer's latest messages (newest first), searched by messageId, userId, anonymousId or event. */
  detail(customerId: string, now: number, search = '', limit = 100): CustomerDetail {
    const state = this.customers.get(customerId);
    if (!state) return { overview: undefined, messages: [], quarantineReasons: [], violations: [] };
    const needle = search.trim().toLowerCase();
    const matches = (m: LiveMessage) =>
      needle === '' ||
      [m.messageId, m.userId, m.anonymousId, m.event].some((value) => value?.toLowerCase().includes(needle));
    const newest = [...state.messages].reverse();
    return {
      overview: this.overviewOf(state, now),
      messages: newest.filter(matches).slice(0, limit),
      quarantineReasons: [...state.reasons]
        .sort((a, b) => b[1] - a[1])
        .map(([code, count]) => ({
          code,
          count,
          examples: newest.filter((m) => m.reason?.code === code).slice(0, 3),
        })),
      violations: [...state.rules]
        .sort((a, b) => b[1] - a[1])
        .map(([rule, count]) => ({
          rule,
          count,
          examples: newest.filter((m) => m.violations.some((x) => x.rule === rule)).slice(0, 3),
        })),
    };
  }

  /** Called with each message held from now on (the console pushes them); returns the unsubscribe. */
  onMessage(listener: (message: LiveMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private mayParse(now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.parsedThisSecond = 0;
    }
    return this.parsedThisSecond < this.limits.parsedLinesPerSecond;
  }

  private customer(customerId: string, now: number): CustomerState {
    let state = this.customers.get(customerId);
    if (state) {
      // Seen now: to the back of the map, which is the eviction order.
      this.customers.delete(customerId);
    } else {
      state = {
        customerId,
        lastSeen: now,
        minutes: [],
        totals: { events: 0, quarantined: 0, refused: 0 },
        reasons: new Map(),
        rules: new Map(),
        messages: [],
      };
      if (this.customers.size >= this.limits.customers) {
        const oldest = this.customers.keys().next().value as string;
        this.customers.delete(oldest);
        for (let i = this.held.length - 1; i >= 0; i--)
          if (this.held[i]!.customerId === oldest) this.held.splice(i, 1);
      }
    }
    state.lastSeen = now;
    this.customers.set(customerId, state);
    return state;
  }

  private minute(state: CustomerState, now: number): MinuteCounts {
    const start = Math.floor(now / MINUTE) * MINUTE;
    const last = state.minutes.at(-1);
    if (last?.minute === start) return last;
    const fresh = { minute: start, events: 0, quarantined: 0, refused: 0 };
    state.minutes.push(fresh);
    const oldest = start - (this.limits.minutes - 1) * MINUTE;
    while (state.minutes.length > 0 && state.minutes[0]!.minute < oldest) state.minutes.shift();
    return fresh;
  }

  private overviewOf(state: CustomerState, now: number): CustomerOverview {
    const current = Math.floor(now / MINUTE) * MINUTE;
    const byMinute = new Map(state.minutes.map((m) => [m.minute, m]));
    const minutes: MinuteCounts[] = [];
    for (let i = this.limits.minutes - 1; i >= 0; i--) {
      const minute = current - i * MINUTE;
      minutes.push(byMinute.get(minute) ?? { minute, events: 0, quarantined: 0, refused: 0 });
    }
    return {
      customerId: state.customerId,
      lastSeen: new Date(state.lastSeen).toISOString(),
      minutes,
      totals: { ...state.totals },
    };
  }

  private hold(state: CustomerState, message: LiveMessage): void {
    if (message.reason)
      state.reasons.set(message.reason.code, (state.reasons.get(message.reason.code) ?? 0) + 1);
    for (const v of message.violations) state.rules.set(v.rule, (state.rules.get(v.rule) ?? 0) + 1);
    state.messages.push(message);
    this.held.push(message);
    while (this.held.length > this.limits.messages) {
      const gone = this.held.shift()!;
      const owner = this.customers.get(gone.customerId);
      if (owner && owner.messages[0] === gone) owner.messages.shift();
      else if (owner) owner.messages = owner.messages.filter((m) => m !== gone);
    }
    for (const listener of this.listeners) listener(message);
  }

  private parse(customerId: string, area: 'events' | 'quarantine', line: string): LiveMessage | undefined {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const sent = area === 'events' ? parsed.message : (parsed.raw ?? parsed.raw_body ?? null);
    const sentObject = sent && typeof sent === 'object' ? (sent as Record<string, unknown>) : {};
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    const reason = parsed.reason as { code?: unknown; message?: unknown } | undefined;
    const violations = Array.isArray(parsed.violations)
      ? (parsed.violations as Record<string, unknown>[]).map((x) => ({
          rule: String(x.rule ?? ''),
          path: String(x.path ?? ''),
          message: String(x.message ?? ''),
        }))
      : [];
    this.seq += 1;
    return {
      seq: this.seq,
      customerId,
      kind: area === 'events' ? 'event' : 'quarantine',
      receivedAt: String(parsed.received_at ?? ''),
      messageId: text(parsed.message_id) ?? text(sentObject.messageId),
      userId: text(parsed.user_id) ?? text(sentObject.userId),
      anonymousId: text(parsed.anonymous_id) ?? text(sentObject.anonymousId),
      type: text(parsed.type) ?? text(sentObject.type),
      event: text(parsed.event) ?? text(sentObject.event),
      reason: reason ? { code: String(reason.code ?? ''), message: String(reason.message ?? '') } : null,
      violations,
      record: cut(line, this.limits.messageChars),
      sent: cut(typeof sent === 'string' ? sent : JSON.stringify(sent ?? null), this.limits.messageChars),
    };
  }
}

const cut = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars)}… (cut)` : text);
