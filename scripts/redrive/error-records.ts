import { gunzipSync } from 'node:zlib';
import { areaOf, receivedDt } from '../../domain/contract/lake-areas';
import type { StoredQuarantineEntry } from '../../domain/contract/lake-records';
import { prepareMessages } from '../../domain/core/ingest/prepare-messages';
import type { LakeLine } from '../../domain/core/lake/pack-records';

/** gzip or plain text: Firehose compresses its error output like its data output. */
export function objectText(bytes: Buffer): string {
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
}

/**
 * The lake lines inside one Firehose error-output object: each line is Firehose's error record, whose
 * `rawData` (base64) is our record — one or more JSON lines of events, quarantine or ledger entries.
 */
export function linesFromErrorObject(bytes: Buffer): LakeLine[] {
  const lines: LakeLine[] = [];
  for (const errorLine of objectText(bytes).split('\n')) {
    if (!errorLine.trim()) continue;
    const { rawData } = JSON.parse(errorLine) as { rawData?: string };
    if (!rawData) continue;
    for (const json of Buffer.from(rawData, 'base64').toString('utf8').split('\n')) {
      if (!json.trim()) continue;
      const record = JSON.parse(json) as Record<string, unknown>;
      lines.push({
        area: areaOf(record),
        customerId: String(record.customer_id),
        dt: receivedDt(record),
        spreadKey: String(record.message_id ?? record.received_at),
        json,
      });
    }
  }
  return lines;
}

/**
 * A quarantined message that passes validation now (after an alias was added, or a rule relaxed)
 * becomes the event it would have been when it arrived: same receive time, same messageId (or the
 * same content-derived one), so redriving it twice adds no new messageId.
 */
export function revalidate(
  entry: StoredQuarantineEntry,
  aliases: ReadonlyMap<string, string>,
  /** The redrive's own request id: the ledger line that redrive writes counts the events under it. */
  requestId: string,
): LakeLine | undefined {
  if (entry.raw === undefined || entry.raw_truncated) return undefined;
  const prepared = prepareMessages(
    { shape: 'single', messages: [entry.raw] },
    {
      customerId: entry.customer_id,
      requestId,
      receivedAt: Date.parse(entry.received_at),
      aliases,
      maxMessageBytes: 32 * 1024,
      routeType: entry.route_type ?? impliedRouteType(entry),
    },
  );
  const event = prepared.events[0];
  if (!event) return undefined;
  return {
    area: 'events',
    customerId: event.customer_id,
    dt: receivedDt(event),
    spreadKey: event.message_id,
    json: prepared.lineHeads[0]!,
    message: prepared.messageJson[0]!,
  };
}

/**
 * The route type of an entry written before quarantine entries kept it (docs/upgrading.md): a message
 * without a `type` was quarantined for another reason than `missing_type` only when a route gave it one.
 * The route is read from the fields only that type requires: `event` (track), `previousId` (alias),
 * `groupId` (group). Otherwise (identify, page and screen look alike) it is not guessed, and the
 * message stays in quarantine.
 */
function impliedRouteType(entry: StoredQuarantineEntry): string | undefined {
  const raw = entry.raw;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const fields = raw as Record<string, unknown>;
  if (fields.type !== undefined && fields.type !== null) return undefined;
  if (entry.reason.code === 'missing_type' || entry.reason.code === 'not_an_object') return undefined;
  if (typeof fields.event === 'string') return 'track';
  if (fields.previousId !== undefined || fields.previous_id !== undefined) return 'alias';
  if (fields.groupId !== undefined || fields.group_id !== undefined) return 'group';
  return undefined;
}
