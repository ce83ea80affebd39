import type { PreparedMessages } from './prepare-messages';

/** What a 200 tells the sender: counts, and why each refused message was refused. */
export interface IngestReport {
  accepted: number;
  duplicates: number;
  quarantined: number;
  /** Segment `delete` requests recorded (docs/privacy.md). */
  deletes: number;
  /** Resends of data about erased users, received by Segment before the delete: dropped. */
  erased: number;
  errors: PreparedMessages['errors'];
}

/**
 * The report as `JSON.stringify(report)` writes it, byte for byte (test/domain/core/ingest/ingest-report.test.ts).
 * Written out because every accepted request is answered with one, and serializing it was 3 % of a
 * 1-message request (`npm run profile -- --events 1`). The counts are whole numbers, written as they
 * are; only the errors, which carry the sender's text, go through the serializer, and only when there are
 * some.
 */
export function reportJson(report: IngestReport): string {
  const errors = report.errors.length === 0 ? '[]' : JSON.stringify(report.errors);
  return `{"accepted":${report.accepted},"duplicates":${report.duplicates},"quarantined":${report.quarantined},"deletes":${report.deletes},"erased":${report.erased},"errors":${errors}}`;
}
