import { issueToken } from '../../domain/core/keys/tokens';
import { basicAuth } from '../support/local-destination';
import { linesWithSecrets } from '../support/secrets';

/**
 * Every test file already fails if its logs hold a key or an Authorization value
 * (test/support/capture-logs.ts). This proves the detector itself catches what it must.
 */
describe('the secret detector behind the log capture', () => {
  const { token } = issueToken('acme', new Date());
  const header = basicAuth(token);

  it('finds a key or an Authorization value anywhere in a line', () => {
    expect(
      linesWithSecrets([
        `{"message":"x","key":"${token}"}`,
        `authorization: ${header}`,
        `Bearer ${token}`,
        'bearer abcdefghijklmnopqrstuvwxyz0123',
      ]),
    ).toHaveLength(4);
  });

  it('passes ordinary log lines, including token ids and customer ids', () => {
    expect(
      linesWithSecrets([
        '{"level":"info","message":"allowed","customerId":"acme","tokenId":"tok_0123456789abcdef"}',
        'Basic auth is used',
      ]),
    ).toEqual([]);
  });
});
