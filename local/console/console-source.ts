import type { CustomerDetail, CustomerOverview, LiveMessage } from '../../domain/core/console/live-view';

/** A customer's completeness as the `completeness` view reads it, over the last two receive days. */
export interface CompletenessStatus {
  status: 'complete' | 'missing' | 'unknown';
  missing: number;
  /** When it was read (the view is read at most every 5 minutes while someone looks). */
  checkedAt: string | null;
}

export interface OverviewRow extends CustomerOverview {
  completeness: CompletenessStatus;
}

/** A delete request as the console shows it: the keyed hash, never the erased id. */
export interface ErasureRow {
  messageId: string;
  userHash: string;
  status: 'pending' | 'done';
  receivedAt: string;
  executedAt: string | null;
  rowsRemoved: number | null;
}

export interface CustomerPanel extends CustomerDetail {
  completeness: CompletenessStatus;
  erasures: ErasureRow[];
  /** The latest intent report of each event (its scalar fields), newest first. */
  intent: { eventKey: string; asOf: string; summary: Record<string, string | number | boolean> }[];
  audiences: {
    name: string;
    event: string;
    top: number;
    holdout: number;
    asOf: string | null;
    target: number | null;
  }[];
}

/**
 * What the console reads, behind one small interface: locally the live view of `npm start` and the
 * files of its DATA_DIR (local/console/local-source.ts); on AWS, later, CloudWatch metrics, the erasure
 * table and Athena.
 */
export interface ConsoleSource {
  overview(): Promise<OverviewRow[]>;
  customer(customerId: string, search: string): Promise<CustomerPanel>;
  /** Every message held from now on; returns the unsubscribe. */
  subscribe(listener: (message: LiveMessage) => void): () => void;
}
