import { gunzipSync, inflateSync } from 'node:zlib';
import { BadRequestError, PayloadTooLargeError } from '../common/errors';
import type { Limits } from './limits';

export interface RawBody {
  body?: string | null;
  /** API Gateway sets this when it passed the body on as base64 (binary or compressed content). */
  isBase64Encoded?: boolean;
  /** The `Content-Encoding` header, any casing. */
  contentEncoding?: string | undefined;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a request body as API Gateway hands it over into JSON text: base64-decodes it, inflates gzip
 * or deflate within `maxInflatedBytes` (so a gzip bomb is refused without being inflated whole), and
 * requires valid UTF-8.
 *
 * @example readBody({ body: 'eyJ0eXBlIjoidHJhY2sifQ==', isBase64Encoded: true }, DEFAULT_LIMITS) // '{"type":"track"}'
 */
export function readBody(raw: RawBody, limits: Limits): string {
  if (raw.body == null || raw.body.length === 0) {
    throw new BadRequestError('empty_body', 'The request body is empty: send a Segment message or a batch.');
  }
  const encoding = (raw.contentEncoding ?? '').trim().toLowerCase();
  // A plain-text body is already a string: only its size needs checking (no copy, no re-decoding).
  if (!raw.isBase64Encoded && (encoding === '' || encoding === 'identity')) {
    // A UTF-16 unit is at most 3 UTF-8 bytes: a body short enough by its length alone is not counted.
    if (raw.body.length * 3 > limits.maxBodyBytes && Buffer.byteLength(raw.body) > limits.maxBodyBytes)
      throw new PayloadTooLargeError(`The request body is larger than ${limits.maxBodyBytes} bytes.`);
    return raw.body;
  }
  let bytes: Buffer = raw.isBase64Encoded ? Buffer.from(raw.body, 'base64') : Buffer.from(raw.body, 'utf8');
  if (bytes.length > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(`The request body is larger than ${limits.maxBodyBytes} bytes.`);
  }
  bytes = inflate(bytes, encoding, limits.maxInflatedBytes);
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new BadRequestError('invalid_encoding', 'The request body is not valid UTF-8.');
  }
}

function inflate(bytes: Buffer, encoding: string, maxOutputLength: number): Buffer {
  if (encoding === '' || encoding === 'identity') return bytes;
  const inflater =
    encoding === 'gzip' || encoding === 'x-gzip' ? gunzipSync : encoding === 'deflate' ? inflateSync : null;
  if (!inflater) {
    throw new BadRequestError(
      'invalid_encoding',
      `Content-Encoding "${encoding.slice(0, 32)}" is not supported: use gzip or none.`,
    );
  }
  try {
    return inflater(bytes, { maxOutputLength });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(`The request body inflates to more than ${maxOutputLength} bytes.`);
    }
    throw new BadRequestError('invalid_encoding', `The request body is not valid ${encoding} data.`);
  }
}
