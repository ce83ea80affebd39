import { BadRequestError } from '../common/errors';
import type { Limits } from './limits';

/** What a request carried: its messages, and envelope fields that apply to all of them. */
export interface ParsedBody {
  /** `single` for one message object; `batch` for a `{batch: [...]}` envelope or a bare array. */
  shape: 'single' | 'batch';
  messages: unknown[];
  /** analytics-node puts `sentAt` on the envelope, not on each message. */
  envelopeSentAt?: unknown;
  /** The JSON text the messages were parsed from: a message may be stored as this text has it. */
  text?: string;
}

/**
 * Parses JSON text into one of the three body shapes Segment clients send: a single message, a
 * `{"batch": [...]}` envelope, or a bare JSON array. One path for one and many: a single message is
 * a batch of one with `shape: 'single'` (its answer differs: 400/501 instead of a 200 report).
 *
 * @example parseBody('[{"type":"track"}]', DEFAULT_LIMITS).messages.length // 1
 */
export function parseBody(text: string, limits: Limits): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError('invalid_json', 'The request body is not valid JSON.');
  }
  if (Array.isArray(value)) return checkBatch({ shape: 'batch', messages: value, text }, limits);
  if (value === null || typeof value !== 'object') {
    throw new BadRequestError(
      'invalid_body_shape',
      'The request body must be a JSON object (a message or {"batch": [...]}) or an array of messages.',
    );
  }
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, 'batch')) {
    if (!Array.isArray(record.batch)) {
      throw new BadRequestError('invalid_body_shape', '"batch" must be an array of messages.');
    }
    return checkBatch(
      { shape: 'batch', messages: record.batch, envelopeSentAt: record.sentAt, text },
      limits,
    );
  }
  return { shape: 'single', messages: [record], text };
}

function checkBatch(parsed: ParsedBody, limits: Limits): ParsedBody {
  if (parsed.messages.length === 0)
    throw new BadRequestError('empty_batch', 'The batch is empty: send at least one message.');
  if (parsed.messages.length > limits.maxMessagesPerRequest) {
    throw new BadRequestError(
      'too_many_messages',
      `A request may carry at most ${limits.maxMessagesPerRequest} messages; split the batch.`,
    );
  }
  return parsed;
}
