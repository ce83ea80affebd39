import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CUSTOMER_ID_PATTERN } from '../../domain/contract/formats';
import { writeFileAtomic } from './atomic-file';

/**
 * Each customer's Segment source write key, which `npm run audience -- sync` sends predictions back
 * with: a secret, so one 0600 file per customer under `$DATA_DIR/secrets/segment-write-keys/`, never
 * printed back (only its last four characters). On AWS the same key lives in Secrets Manager.
 */
export class FileSegmentWriteKeys {
  constructor(private readonly dataDir: string) {}

  private path(customerId: string): string {
    if (!CUSTOMER_ID_PATTERN.test(customerId)) throw new Error(`"${customerId}" is not a customer id`);
    return join(this.dataDir, 'secrets', 'segment-write-keys', customerId);
  }

  set(customerId: string, writeKey: string): void {
    const path = this.path(customerId);
    mkdirSync(join(this.dataDir, 'secrets', 'segment-write-keys'), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, writeKey);
  }

  get(customerId: string): string | undefined {
    const path = this.path(customerId);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  }
}

/** How a key is shown: its last four characters, enough to tell two keys apart in Segment's UI. */
export const keyHint = (writeKey: string) => `…${writeKey.slice(-4)}`;
