import { AdminInputError } from '../../../../domain/core/common/errors';
import { authorize } from '../../../../domain/core/keys/authorize';
import { principalFrom } from '../../../../domain/core/keys/principal';
import { createToken, revokeToken, setEventAlias } from '../../../../domain/core/keys/token-admin';
import {
  authorizationFor,
  hashesEqual,
  hashToken,
  issueToken,
  isWellFormedToken,
  keyFromAuthorization,
} from '../../../../domain/core/keys/tokens';
import { TEST_NOW } from '../../../support/factories';
import { MemoryTokenStore } from '../../../support/memory/memory-token-store';

const basic = (key: string, colon = true) =>
  `Basic ${Buffer.from(colon ? `${key}:` : key).toString('base64')}`;

describe('tokens', () => {
  it('issues 256-bit keys with a recognisable prefix, storing only their hash', () => {
    const { token, record } = issueToken('acme', new Date('2026-01-01T00:00:00Z'));

    expect(token).toMatch(/^sgl_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(record).toMatchObject({
      customerId: 'acme',
      status: 'active',
      tokenHash: hashToken(token),
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(JSON.stringify(record)).not.toContain(token);
    expect(isWellFormedToken(token)).toBe(true);
  });

  it('issues a different key every time', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => issueToken('acme', new Date()).token));

    expect(tokens.size).toBe(50);
  });

  it('compares hashes in constant time and only equal lengths', () => {
    const hash = hashToken('sgl_x');

    expect(hashesEqual(hash, hash)).toBe(true);
    expect(hashesEqual(hash, hashToken('sgl_y'))).toBe(false);
    expect(hashesEqual(hash, hash.slice(0, 10))).toBe(false);
    expect(hashesEqual('', '')).toBe(false);
  });

  it.each([
    [basic('sgl_key'), 'sgl_key'],
    [basic('sgl_key', false), 'sgl_key'],
    [`  basic   ${Buffer.from('sgl_key:').toString('base64')}  `, 'sgl_key'],
    ['Bearer sgl_key', 'sgl_key'],
    ['Basic', undefined],
    ['Digest abc', undefined],
    [basic(''), undefined],
    [undefined, undefined],
  ])('reads the key from %p', (header, expected) => {
    expect(keyFromAuthorization(header)).toBe(expected);
  });

  it('builds the header Segment sends (Basic base64 of key and colon), which reads back to the key', () => {
    expect(authorizationFor('sgl_key')).toBe(`Basic ${Buffer.from('sgl_key:').toString('base64')}`);
    expect(keyFromAuthorization(authorizationFor('sgl_key'))).toBe('sgl_key');
  });
});

describe('authorize', () => {
  it('allows an active key with its customer id and aliases', async () => {
    const store = new MemoryTokenStore();
    const { token, record } = await createToken(store, 'acme', TEST_NOW);
    await setEventAlias(store, 'acme', 'Joined', 'Signed Up', TEST_NOW);

    const context = await authorize(basic(token), store, TEST_NOW);

    expect(context).toEqual({
      customerId: 'acme',
      tokenId: record.tokenId,
      eventAliases: JSON.stringify({ Joined: 'Signed Up' }),
      trackingPlan: '',
    });
  });

  it('keeps every key of a customer valid until revoked (rotation)', async () => {
    const store = new MemoryTokenStore();
    const first = await createToken(store, 'acme', TEST_NOW);
    const second = await createToken(store, 'acme', TEST_NOW);

    await revokeToken(store, first.record.tokenId, TEST_NOW);

    expect(await authorize(basic(first.token), store, TEST_NOW)).toEqual({ denied: 'invalid_api_key' });
    expect(await authorize(basic(second.token), store, TEST_NOW)).toMatchObject({ customerId: 'acme' });
  });

  it('denies missing, malformed and unknown keys, and disabled customers', async () => {
    const store = new MemoryTokenStore();
    const { token } = await createToken(store, 'acme', TEST_NOW);

    expect(await authorize(undefined, store, TEST_NOW)).toEqual({ denied: 'missing_api_key' });
    expect(await authorize(basic('not-a-key'), store, TEST_NOW)).toEqual({ denied: 'invalid_api_key' });
    expect(await authorize(basic(issueToken('acme', new Date()).token), store, TEST_NOW)).toEqual({
      denied: 'invalid_api_key',
    });
    await store.putCustomer({ customerId: 'acme', status: 'disabled', eventAliases: {}, updatedAt: '' });
    expect(await authorize(basic(token), store, TEST_NOW)).toEqual({ denied: 'customer_disabled' });
  });

  it('refuses customer ids that could escape a partition path', async () => {
    for (const bad of ['', '../x', 'a/b', 'a b', '.hidden', 'x'.repeat(65)]) {
      await expect(createToken(new MemoryTokenStore(), bad, TEST_NOW)).rejects.toThrow(AdminInputError);
    }
  });
});

describe('principalFrom', () => {
  it('turns the authorizer verdict into a customer, a 401 or a 403', () => {
    expect(principalFrom({ customerId: 'acme', eventAliases: '{"a":"B"}' }).customerId).toBe('acme');
    expect(() => principalFrom({ denied: 'invalid_api_key' })).toThrow(
      expect.objectContaining({ status: 401, code: 'invalid_api_key' }),
    );
    expect(() => principalFrom({ denied: 'missing_api_key' })).toThrow(
      expect.objectContaining({ status: 401, code: 'missing_api_key' }),
    );
    expect(() => principalFrom({ denied: 'customer_disabled' })).toThrow(
      expect.objectContaining({ status: 403 }),
    );
    expect(() => principalFrom(undefined)).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => principalFrom({ customerId: '' })).toThrow(expect.objectContaining({ status: 401 }));
  });
});
