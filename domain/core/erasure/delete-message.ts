import { DELETE_TYPE, type ErasureRequest } from '../../contract/erasure';
import { sliceText } from '../common/unicode-text';
import { contentMessageId } from '../messages/normalize-message';
import { parseIsoTimestamp } from '../messages/timestamps';

/** A delete message, read: the request to record, or why it cannot be honoured. */
export type DeleteMessage =
  | { ok: true; request: Omit<ErasureRequest, 'user_hash'> }
  | { ok: false; messageId: string | null; reason: string };

/** Whether canonical fields (validate-message's `canonicalMessage`) are a Segment `delete`. */
export function isDeleteMessage(fields: Record<string, unknown> | undefined): boolean {
  return fields?.type === DELETE_TYPE;
}

/**
 * The erasure request a `delete` message asks for. Segment sends `userId` (any casing: the fields are
 * canonical here), a `messageId` that identifies the request (a resend is the same request), and its
 * own `receivedAt`: the cut-off between the data to erase and data sent later (ours when absent).
 *
 * @example readDeleteMessage({ type: 'delete', userId: 'u1', messageId: 'd1' }, 'acme', '2026-12-02T00:00:00.000Z', '{}')
 */
export function readDeleteMessage(
  fields: Record<string, unknown>,
  customerId: string,
  receivedIso: string,
  /** The message's JSON: a delete without a messageId gets the content-derived id any message gets. */
  json: string,
): DeleteMessage {
  const rawId = fields.messageId;
  const messageId =
    typeof rawId === 'string' && rawId.length > 0
      ? sliceText(rawId, 256)
      : typeof rawId === 'number' && Number.isFinite(rawId)
        ? String(rawId)
        : null;
  const user = fields.userId;
  const userId =
    typeof user === 'string' ? user : typeof user === 'number' && Number.isFinite(user) ? String(user) : '';
  if (userId.length === 0 || userId.length > 1024)
    return {
      ok: false,
      messageId,
      reason:
        'A delete needs the "userId" of the user to erase (Segment sends it); nothing was recorded, and no data was erased.',
    };
  const segmentReceivedAt =
    typeof fields.receivedAt === 'string' ? parseIsoTimestamp(fields.receivedAt) : undefined;
  return {
    ok: true,
    request: {
      customer_id: customerId,
      message_id: messageId ?? contentMessageId(customerId, json),
      user_id: userId,
      received_at: receivedIso,
      cutoff_at: segmentReceivedAt === undefined ? receivedIso : new Date(segmentReceivedAt).toISOString(),
    },
  };
}
