import {
  batchCalls,
  currentPrediction,
  identifyCall,
  predictionTraits,
  SEGMENT_MAX_BATCH_BYTES,
  SYNC_BATCH_BYTES,
  snakeCase,
  syncFingerprint,
} from '../../../../domain/core/audiences/segment-sync';

describe('predictions sent back to Segment', () => {
  it('names traits in snake case, and marks only target members as in the audience', () => {
    expect(snakeCase('Signed Up')).toBe('signed_up');
    expect(snakeCase('orderCompleted')).toBe('order_completed');
    expect(
      predictionTraits('Signed Up', { percentile: 0.91234567, probability: 0.1234567891 }, [
        { name: 'likely_signups', group: 'target' },
        { name: 'holdout_check', group: 'holdout' },
        { name: 'old', group: 'left' },
      ]),
    ).toEqual({
      predicted_signed_up_percentile: 0.9123,
      predicted_signed_up_probability: 0.123457,
      audience_likely_signups: true,
      audience_holdout_check: false,
      audience_old: false,
    });
  });

  it('sends one current prediction per person and event: when its decile changes, and null once a holdout takes the person', () => {
    const state = new Map<string, string>();
    const last = (key: string) => state.get(key);
    const scored = (decile: number, percentile: number) => ({
      decile,
      percentile,
      probability: percentile / 10,
    });
    const deliver = (r: ReturnType<typeof currentPrediction>) => {
      state.set(r.record.user, r.record.sent);
      return r.send;
    };

    // First sync: sent. A rescoring in the same decile: not sent (the percentile moved a little).
    expect(deliver(currentPrediction('acme', 'u-1', 'Signed Up', scored(1, 0.95), last))).toEqual({
      predicted_signed_up_percentile: 0.95,
      predicted_signed_up_probability: 0.095,
    });
    expect(currentPrediction('acme', 'u-1', 'Signed Up', scored(1, 0.97), last).send).toBeUndefined();
    // Another decile: sent again.
    expect(deliver(currentPrediction('acme', 'u-1', 'Signed Up', scored(2, 0.85), last))).toEqual({
      predicted_signed_up_percentile: 0.85,
      predicted_signed_up_probability: 0.085,
    });
    // Now in a holdout: both traits unset, once; a person never sent a prediction gets nothing.
    expect(deliver(currentPrediction('acme', 'u-1', 'Signed Up', 'held-out', last))).toEqual({
      predicted_signed_up_percentile: null,
      predicted_signed_up_probability: null,
    });
    expect(currentPrediction('acme', 'u-1', 'Signed Up', 'held-out', last).send).toBeUndefined();
    expect(currentPrediction('acme', 'u-2', 'Signed Up', 'held-out', last).send).toBeUndefined();
    // Each event is its own prediction; a visitor linked since is sent again with the user id.
    expect(currentPrediction('acme', 'u-1', 'Order Completed', scored(2, 0.85), last).send).toBeDefined();
    deliver(currentPrediction('acme', 'anon-9', 'Signed Up', scored(3, 0.75), last));
    expect(currentPrediction('acme', 'anon-9', 'Signed Up', scored(3, 0.75), last).send).toBeUndefined();
    expect(currentPrediction('acme', 'anon-9', 'Signed Up', scored(3, 0.75), last, 'u-9').send).toBeDefined();
  });

  it('gives a resent call the same messageId, and a changed one another', () => {
    const at = '2026-04-01T00:00:00.000Z';
    const a = identifyCall('acme', 'u-1', { audience_x: true }, at);

    expect(identifyCall('acme', 'u-1', { audience_x: true }, '2026-05-01T00:00:00.000Z').messageId).toBe(
      a.messageId,
    );
    expect(identifyCall('acme', 'u-1', { audience_x: false }, at).messageId).not.toBe(a.messageId);
    // An anonymous person is sent by anonymousId alone, never as a userId.
    const visitor = identifyCall('acme', 'anon-7', { audience_x: true }, at, true);
    expect(visitor).toMatchObject({ anonymousId: 'anon-7' });
    expect(visitor).not.toHaveProperty('userId');
    expect(a).toMatchObject({ userId: 'u-1' });
    expect(a).not.toHaveProperty('anonymousId');
    // A visitor the identity graph has since linked to a user: both ids, so the traits reach the user.
    // The call is still about the visitor (the sync state's key), and a new one: sent again though the
    // traits did not change.
    const signedUp = identifyCall('acme', 'anon-7', { audience_x: true }, at, true, 'u-7');
    expect(signedUp).toMatchObject({ userId: 'u-7', anonymousId: 'anon-7' });
    expect(signedUp.messageId).not.toBe(visitor.messageId);
    expect(syncFingerprint('acme', 'anon-7', { audience_x: true }, 'u-7').sent).not.toBe(
      syncFingerprint('acme', 'anon-7', { audience_x: true }).sent,
    );
  });

  it('keeps every batch within 475,000 bytes, a margin below Segment’s 500 KB, and refuses a message over 32 KB', () => {
    const call = (i: number, pad = 1_000) => ({ userId: `u-${i}`, traits: { note: 'x'.repeat(pad) } });
    const { batches, tooLarge } = batchCalls([
      ...Array.from({ length: 2_000 }, (_, i) => call(i)),
      call(-1, 40_000),
    ]);

    expect(tooLarge).toHaveLength(1);
    expect(batches.flat()).toHaveLength(2_000);
    for (const batch of batches)
      expect(Buffer.byteLength(JSON.stringify({ batch }))).toBeLessThanOrEqual(SYNC_BATCH_BYTES);
    expect(SYNC_BATCH_BYTES).toBeLessThanOrEqual(SEGMENT_MAX_BATCH_BYTES * 0.95);
    // Full batches come close to it: no more requests than needed.
    expect(Buffer.byteLength(JSON.stringify({ batch: batches[0] }))).toBeGreaterThan(
      SYNC_BATCH_BYTES - 2_000,
    );
    expect(batches.length).toBeGreaterThan(3);
  });
});
