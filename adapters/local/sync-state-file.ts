import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-file';

/**
 * What an audience sync last sent per user (hashes only: `syncFingerprint`), kept in two files so that
 * recording a delivered batch costs that batch's bytes, not the whole state's (~70 bytes a user: 70 MB
 * at a million users, which a rewrite per batch would write ~750 times):
 * - `<path>`: the state as of the last finished sync, `{ version: 1, sent }`, replaced atomically;
 * - `<path>.journal`: a JSON line per user sent since, appended and synced after each delivered batch.
 * Reading replays the journal over the state (a line cut by a crash is left out: that user is sent again,
 * and Segment drops the copy by its messageId); `compact` folds it in at the end of a sync.
 */
export class SyncStateFile {
  private readonly journal: string;

  constructor(private readonly path: string) {
    this.journal = `${path}.journal`;
  }

  read(): Record<string, string> {
    const sent = existsSync(this.path)
      ? (JSON.parse(readFileSync(this.path, 'utf8')) as { sent: Record<string, string> }).sent
      : {};
    if (existsSync(this.journal))
      for (const line of readFileSync(this.journal, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const { u, s } = JSON.parse(line) as { u: string; s: string };
          if (typeof u === 'string' && typeof s === 'string') sent[u] = s;
        } catch {
          // A line a crash cut short: its user is sent again.
        }
      }
    return sent;
  }

  /** Records users as sent: one appended, synced chunk of the batch's size. */
  record(entries: readonly { user: string; sent: string }[]): void {
    if (entries.length === 0) return;
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(
      this.journal,
      entries.map((e) => `${JSON.stringify({ u: e.user, s: e.sent })}\n`).join(''),
    );
    const fd = openSync(this.journal, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Folds the journal into the state (one atomic replace), then drops the journal. */
  compact(): void {
    const sent = this.read();
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileAtomic(this.path, `${JSON.stringify({ version: 1, sent })}\n`);
    rmSync(this.journal, { force: true });
  }
}
