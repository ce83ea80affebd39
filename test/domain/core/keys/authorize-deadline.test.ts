import { Breaker } from '../../../../domain/core/common/breaker';
import { Deadline } from '../../../../domain/core/common/deadline';
import { KeyCheckUnavailableError } from '../../../../domain/core/common/errors';
import { authorize, LAST_GOOD_MS, LastGoodVerdicts } from '../../../../domain/core/keys/authorize';
import { principalFrom } from '../../../../domain/core/keys/principal';
import { createToken } from '../../../../domain/core/keys/token-admin';
import { authorizationFor } from '../../../../domain/core/keys/tokens';
import { createFakeClock, TEST_NOW } from '../../../support/factories';
import { MemoryTokenStore } from '../../../support/memory/memory-token-store';

/**
 * The authorizer within its deadline (AUTHORIZER_DEADLINE_MS): a key store that does not answer gives
 * an "unavailable" verdict (503 at ingest), unless this instance allowed the same key lately — API
 * Gateway would cache a 503 verdict for the key, so a key it knows stays allowed meanwhile.
 */
describe('authorize within a deadline', () => {
  /** A store whose reads can be made to hang. */
  class HangingStore extends MemoryTokenStore {
    hang = false;
    override async findByHash(hash: string) {
      if (this.hang) return new Promise<never>(() => undefined);
      return super.findByHash(hash);
    }
  }

  async function arrange() {
    const store = new HangingStore();
    const { token } = await createToken(store, 'acme', TEST_NOW);
    const other = await createToken(store, 'globex', TEST_NOW);
    // The deadline's timer fires at once while the store hangs (its call has lost), never otherwise.
    const clock = {
      ...createFakeClock(TEST_NOW.getTime()),
      timer: () => ({
        fired: store.hang ? Promise.resolve() : new Promise<void>(() => undefined),
        cancel: () => undefined,
      }),
    };
    const lastGood = new LastGoodVerdicts();
    const check = (key: string, at = TEST_NOW) =>
      authorize(authorizationFor(key), store, at, undefined, {
        deadline: Deadline.after(clock, 400),
        breaker: new Breaker(clock),
        lastGood,
      });
    return { store, token, other: other.token, check };
  }

  it('a key store that never answers: "unavailable", which ingest answers 503 + Retry-After', async () => {
    const { store, token, check } = await arrange();
    store.hang = true;
    const verdict = await check(token);
    expect(verdict).toEqual({ unavailable: 'key_store' });
    expect(() => principalFrom(verdict)).toThrow(KeyCheckUnavailableError);
  });

  it('a lastUsedAt write that hangs never refuses the key, nor opens the breaker that guards the reads', async () => {
    const { store, token } = await arrange();
    store.recordUse = () => new Promise<never>(() => undefined);
    // Each check makes three calls — the key, the customer, the write — and only the write's timer
    // runs out (the reads answer).
    let timers = 0;
    let writes = 0;
    const clock = {
      ...createFakeClock(TEST_NOW.getTime()),
      timer: () => {
        const isWrite = ++timers % 3 === 0;
        return {
          fired: isWrite
            ? Promise.resolve().then(() => {
                writes += 1;
              })
            : new Promise<void>(() => undefined),
          cancel: () => undefined,
        };
      },
    };
    const breaker = new Breaker(clock);
    for (let i = 0; i < 5; i++) {
      const verdict = await authorize(authorizationFor(token), store, TEST_NOW, undefined, {
        deadline: Deadline.after(clock, 400),
        breaker,
        lastGood: new LastGoodVerdicts(),
      });
      expect(verdict).toMatchObject({ customerId: 'acme' });
    }
    expect(breaker.state).toBe('closed');
    expect(writes).toBeGreaterThan(0);
  });

  it('a key this instance allowed lately stays allowed while the store does not answer — for LAST_GOOD_MS', async () => {
    const { store, token, other, check } = await arrange();
    const allowed = await check(token);
    expect(allowed).toMatchObject({ customerId: 'acme' });

    store.hang = true;
    expect(await check(token)).toEqual(allowed);
    // Another key, never allowed here: no verdict to fall back on.
    expect(await check(other)).toEqual({ unavailable: 'key_store' });
    // Past LAST_GOOD_MS the old verdict is not trusted any more.
    expect(await check(token, new Date(TEST_NOW.getTime() + LAST_GOOD_MS))).toEqual({
      unavailable: 'key_store',
    });
  });
});
