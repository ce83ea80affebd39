import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { FileErasureLog } from '../../adapters/local/file-erasure-log';
import { INTENT_REPORTS_PREFIX } from '../../domain/contract/curated-table';
import { rowsRemoved } from '../../domain/contract/erasure';
import type { Clock, Logger } from '../../domain/core/common/ports';
import type { LiveView } from '../../domain/core/console/live-view';
import { listDefinitions } from '../audience-definitions';
import type { CompletenessRow } from '../completeness';
import type {
  CompletenessStatus,
  ConsoleSource,
  CustomerPanel,
  ErasureRow,
  OverviewRow,
} from './console-source';

/**
 * How often the completeness view is read again, at most, while the console is open: a read scans the
 * lake's ledger and events with DuckDB, seconds of CPU on a large lake, taken from ingest on a small
 * machine.
 */
const COMPLETENESS_EVERY_MS = 300_000;
/** Receive days the overview's completeness looks at: today and yesterday (UTC). */
const COMPLETENESS_DAYS = 2;

const UNKNOWN: CompletenessStatus = { status: 'unknown', missing: 0, checkedAt: null };

/**
 * The console's data on one machine: the live view of `npm start`, the delete requests of its erasure
 * log (keyed hashes only), and what the lake's files say — completeness (the `completeness` view, read
 * at most once every 5 minutes and only while the console asks), intent reports and audiences.
 */
export class LocalConsoleSource implements ConsoleSource {
  private completeness: { at: number; byCustomer: Map<string, CompletenessStatus> } | undefined;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly options: {
      dataDir: string;
      live: LiveView;
      erasures: FileErasureLog;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async overview(): Promise<OverviewRow[]> {
    const now = this.options.clock.now();
    const statuses = this.completenessNow();
    return this.options.live
      .overview(now)
      .map((row) => ({ ...row, completeness: statuses.get(row.customerId) ?? UNKNOWN }));
  }

  async customer(customerId: string, search: string): Promise<CustomerPanel> {
    const now = this.options.clock.now();
    return {
      ...this.options.live.detail(customerId, now, search),
      completeness: this.completenessNow().get(customerId) ?? UNKNOWN,
      erasures: this.erasures(customerId),
      intent: this.intent(customerId),
      audiences: this.audiences(customerId),
    };
  }

  subscribe(listener: Parameters<ConsoleSource['subscribe']>[0]): () => void {
    return this.options.live.onMessage(listener);
  }

  /** The last reading, and a new one in the background when it is older than a minute. */
  private completenessNow(): Map<string, CompletenessStatus> {
    const now = this.options.clock.now();
    if (!this.reading && (!this.completeness || now - this.completeness.at >= COMPLETENESS_EVERY_MS)) {
      this.reading = this.readCompleteness(now).finally(() => {
        this.reading = undefined;
      });
    }
    return this.completeness?.byCustomer ?? new Map();
  }

  private async readCompleteness(now: number): Promise<void> {
    const lake = join(this.options.dataDir, 'lake');
    const since = new Date(now - (COMPLETENESS_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const byCustomer = new Map<string, CompletenessStatus>();
    try {
      const rows = existsSync(lake) ? await completenessAtLowPriority(lake, since) : [];
      for (const row of rows) {
        const known = byCustomer.get(row.customer_id) ?? { status: 'complete', missing: 0, checkedAt: '' };
        known.missing += row.missing;
        if (known.missing > 0) known.status = 'missing';
        byCustomer.set(row.customer_id, known);
      }
      const checkedAt = new Date(now).toISOString();
      for (const status of byCustomer.values()) status.checkedAt = checkedAt;
      this.completeness = { at: now, byCustomer };
    } catch (error) {
      // The console goes on without it (a lake being rewritten, a damaged file set aside meanwhile).
      this.options.logger.warn('console: completeness not read', { detail: (error as Error).message });
      this.completeness = { at: now, byCustomer: this.completeness?.byCustomer ?? new Map() };
    }
  }

  private erasures(customerId: string): ErasureRow[] {
    return this.options.erasures
      .all()
      .filter((e) => e.customer_id === customerId)
      .reverse()
      .slice(0, 50)
      .map((e) => ({
        messageId: e.message_id,
        userHash: e.user_hash,
        status: e.status,
        receivedAt: e.received_at,
        executedAt: e.executed_at ?? null,
        rowsRemoved: e.status === 'done' ? rowsRemoved(e) : null,
      }));
  }

  /** The newest report of each event key under `lake/intent/reports/customer_id=<id>/`. */
  private intent(customerId: string): CustomerPanel['intent'] {
    const root = join(this.options.dataDir, 'lake', INTENT_REPORTS_PREFIX, `customer_id=${customerId}`);
    const out: CustomerPanel['intent'] = [];
    for (const keyDir of folders(root, 'event_key=')) {
      const asOf = folders(join(root, keyDir), 'as_of=').sort().at(-1);
      if (!asOf) continue;
      const report = readJson(join(root, keyDir, asOf, 'report.json'));
      if (!report || typeof report !== 'object') continue;
      const summary: Record<string, string | number | boolean> = {};
      for (const [key, value] of Object.entries(report))
        if (['string', 'number', 'boolean'].includes(typeof value))
          summary[key] = value as string | number | boolean;
      out.push({ eventKey: keyDir.slice('event_key='.length), asOf: asOf.slice('as_of='.length), summary });
    }
    return out.sort((a, b) => b.asOf.localeCompare(a.asOf));
  }

  private audiences(customerId: string): CustomerPanel['audiences'] {
    let definitions: ReturnType<typeof listDefinitions>;
    try {
      definitions = listDefinitions(join(this.options.dataDir, 'lake'), customerId);
    } catch {
      return []; // a damaged definition: the audience commands name it; the console goes on
    }
    return definitions.map((d) => {
      const latest = d.versions.at(-1);
      return {
        name: d.name,
        event: d.event,
        top: d.top,
        holdout: d.holdout,
        asOf: latest?.as_of ?? null,
        target: latest?.target ?? null,
      };
    });
  }
}

/** The completeness rows since a day, read by a child process at the lowest CPU priority (bounded: 2 min). */
function completenessAtLowPriority(lake: string, since: string): Promise<CompletenessRow[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--require', 'tsx/cjs', join(__dirname, 'completeness-child.ts'), lake, since],
      { cwd: join(__dirname, '..', '..'), timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(stderr.trim() || error.message));
        else resolve(JSON.parse(stdout) as CompletenessRow[]);
      },
    );
    if (child.pid !== undefined)
      try {
        setPriority(child.pid, 19);
      } catch {
        // Not allowed here: it runs at normal priority, still in its own process.
      }
  });
}

function folders(path: string, prefix: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name.startsWith(prefix))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
