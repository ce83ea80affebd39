import type { LakeEvent } from '../../contract/lake-records';
import { jsonString } from './json-string';

/**
 * An event's lake line up to its message: `{"schema_version":1,…,"message":`. The message comes last in
 * the contract's order, so the line is this, the message's JSON, and `}`.
 *
 * Written out field by field because this runs once per event, and one JSON.stringify of the event was
 * 11.6 % of the core's time on batches; this is about half of that (docs/performance.md). Free text
 * goes through jsonString (what JSON.stringify writes, for less); dates, the type and booleans are
 * written as they are, since their schema (lake-records.ts) admits no character that needs escaping.
 * The keys are the contract's, in its order: test/contract/lake-contract.test.ts and
 * test/domain/core/lake/event-line.test.ts fail if the two drift.
 */
export function eventLineHead(event: LakeEvent): string {
  return `{"schema_version":${event.schema_version},"area":"${event.area}","message_id":${jsonString(event.message_id)},"message_id_generated":${event.message_id_generated},"customer_id":${jsonString(event.customer_id)},"dt":"${event.dt}","request_id":${jsonString(event.request_id)},"type":"${event.type}","event":${jsonString(event.event)},"event_raw":${jsonString(event.event_raw)},"event_key":${jsonString(event.event_key)},"user_id":${jsonString(event.user_id)},"anonymous_id":${jsonString(event.anonymous_id)},"timestamp":${jsonString(event.timestamp)},"timestamp_out_of_range":${event.timestamp_out_of_range},"event_date":"${event.event_date}","event_date_from_sent_at":${event.event_date_from_sent_at},"planned":${event.planned},"violations":${event.violations.length === 0 ? '[]' : JSON.stringify(event.violations)},"received_at":${jsonString(event.received_at)},"message":`;
}
