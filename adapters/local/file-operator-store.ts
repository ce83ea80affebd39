import { readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as v from 'valibot';
import { NotFoundError } from '../../domain/core/common/errors';
import {
  findOperator,
  issueOperatorKey,
  type OperatorRecord,
  OperatorRecordSchema,
} from '../../domain/core/keys/operator-keys';
import { writeFileAtomic } from './atomic-file';
import { acquirePidLock } from './pid-lock';

const OperatorFileSchema = v.object({ operators: v.array(OperatorRecordSchema) });

/**
 * Operator keys (hashed) in `<dataDir>/operators.json`, apart from customers' `tokens.json`. The console
 * re-reads the file when it changes, so a key created or revoked from another process counts at once.
 * A damaged file is an error naming it, never "no operators" silently.
 */
export class FileOperatorStore {
  readonly path: string;
  private cache: { version: string; records: OperatorRecord[] } | undefined;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'operators.json');
  }

  /** Every operator key, active and revoked. */
  all(): OperatorRecord[] {
    let version: string;
    try {
      const stat = statSync(this.path);
      version = `${stat.mtimeMs}/${stat.size}/${stat.ino}`;
    } catch {
      return [];
    }
    if (this.cache?.version === version) return this.cache.records;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw new Error(`${this.path} is damaged: ${(error as Error).message}`);
    }
    const result = v.safeParse(OperatorFileSchema, parsed);
    if (!result.success) throw new Error(`${this.path} is damaged: ${result.issues[0].message}`);
    this.cache = { version, records: result.output.operators };
    return this.cache.records;
  }

  /** The active operator of a presented key, or undefined. */
  find(presented: string): OperatorRecord | undefined {
    return findOperator(this.all(), presented);
  }

  async create(name: string | undefined, now: Date): Promise<{ token: string; record: OperatorRecord }> {
    const issued = issueOperatorKey(name, now);
    await this.change((records) => [...records, issued.record]);
    return issued;
  }

  async revoke(tokenId: string, now: Date): Promise<OperatorRecord> {
    let revoked: OperatorRecord | undefined;
    await this.change((records) =>
      records.map((record) => {
        if (record.tokenId !== tokenId) return record;
        revoked =
          record.status === 'revoked'
            ? record
            : { ...record, status: 'revoked', revokedAt: now.toISOString() };
        return revoked;
      }),
    );
    if (!revoked) throw new NotFoundError(`no operator key ${tokenId} (npm run tokens -- operator list)`);
    return revoked;
  }

  private async change(edit: (records: OperatorRecord[]) => OperatorRecord[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const lock = await acquirePidLock(`${this.path}.lock`, 'operators.json writer', { waitMs: 5_000 });
    try {
      const records = edit(this.all());
      writeFileAtomic(this.path, `${JSON.stringify({ operators: records }, null, 2)}\n`);
      this.cache = undefined;
    } finally {
      await lock.release();
    }
  }
}
