import { deflateSync, gzipSync } from 'node:zlib';
import { BadRequestError, PayloadTooLargeError } from '../../../../domain/core/common/errors';
import { DEFAULT_LIMITS, type Limits } from '../../../../domain/core/ingest/limits';
import { parseBody } from '../../../../domain/core/ingest/parse-body';
import { readBody } from '../../../../domain/core/ingest/read-body';

const limits: Limits = {
  ...DEFAULT_LIMITS,
  maxBodyBytes: 64 * 1024,
  maxInflatedBytes: 256 * 1024,
  maxMessagesPerRequest: 1_000,
};
const track = { type: 'track', userId: 'u', event: 'x' };

describe('readBody', () => {
  it('reads plain text, base64 and gzip or deflate bodies to the same JSON', () => {
    const text = JSON.stringify(track);

    expect(readBody({ body: text }, limits)).toBe(text);
    expect(readBody({ body: Buffer.from(text).toString('base64'), isBase64Encoded: true }, limits)).toBe(
      text,
    );
    expect(
      readBody(
        { body: gzipSync(text).toString('base64'), isBase64Encoded: true, contentEncoding: 'GZIP' },
        limits,
      ),
    ).toBe(text);
    expect(
      readBody(
        { body: deflateSync(text).toString('base64'), isBase64Encoded: true, contentEncoding: 'deflate' },
        limits,
      ),
    ).toBe(text);
  });

  it('refuses an empty body with 400', () => {
    expect(() => readBody({ body: '' }, limits)).toThrow(
      expect.objectContaining({ status: 400, code: 'empty_body' }),
    );
    expect(() => readBody({}, limits)).toThrow(BadRequestError);
  });

  it('refuses a body over the limit with 413', () => {
    expect(() => readBody({ body: 'x'.repeat(limits.maxBodyBytes + 1) }, limits)).toThrow(
      PayloadTooLargeError,
    );
  });

  it('refuses a gzip bomb with 413 without inflating past the limit', () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(limits.maxBodyBytes);

    expect(() =>
      readBody({ body: bomb.toString('base64'), isBase64Encoded: true, contentEncoding: 'gzip' }, limits),
    ).toThrow(PayloadTooLargeError);
  });

  it('refuses truncated gzip, unknown encodings and invalid UTF-8 with 400', () => {
    const truncated = gzipSync(JSON.stringify(track)).subarray(0, 10).toString('base64');

    expect(() =>
      readBody({ body: truncated, isBase64Encoded: true, contentEncoding: 'gzip' }, limits),
    ).toThrow(expect.objectContaining({ code: 'invalid_encoding' }));
    expect(() => readBody({ body: 'x', contentEncoding: 'br' }, limits)).toThrow(
      expect.objectContaining({ code: 'invalid_encoding' }),
    );
    expect(() =>
      readBody({ body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true }, limits),
    ).toThrow(expect.objectContaining({ code: 'invalid_encoding' }));
  });
});

describe('parseBody', () => {
  it('reads a single message as a batch of one', () => {
    const text = JSON.stringify(track);

    expect(parseBody(text, limits)).toEqual({ shape: 'single', messages: [track], text });
  });

  it('reads a {batch} envelope with its sentAt, and a bare array', () => {
    const sentAt = '2026-01-01T00:00:00Z';
    const envelope = JSON.stringify({ batch: [track, track], sentAt, writeKey: 'k' });
    const array = JSON.stringify([track]);

    expect(parseBody(envelope, limits)).toEqual({
      shape: 'batch',
      messages: [track, track],
      envelopeSentAt: sentAt,
      text: envelope,
    });
    expect(parseBody(array, limits)).toEqual({ shape: 'batch', messages: [track], text: array });
  });

  it.each([
    ['{"type":', 'invalid_json'],
    ['42', 'invalid_body_shape'],
    ['null', 'invalid_body_shape'],
    ['{"batch": {}}', 'invalid_body_shape'],
    ['[]', 'empty_batch'],
    ['{"batch": []}', 'empty_batch'],
  ])('refuses %s with 400 %s', (text, code) => {
    expect(() => parseBody(text, limits)).toThrow(expect.objectContaining({ status: 400, code }));
  });

  it('refuses more messages than the limit', () => {
    const text = JSON.stringify(Array.from({ length: limits.maxMessagesPerRequest + 1 }, () => track));

    expect(() => parseBody(text, limits)).toThrow(expect.objectContaining({ code: 'too_many_messages' }));
  });
});
