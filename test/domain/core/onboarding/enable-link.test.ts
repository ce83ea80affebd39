import { issueToken } from '../../../../domain/core/keys/tokens';
import { buildEnableLink, SEGMENT_ENABLE_URL } from '../../../../domain/core/onboarding/enable-link';
import { parseEnableLink } from '../../../support/reference-models';

describe('the Segment enable link', () => {
  it('round-trips: decoding the query gives back the slug, the key and the callback', () => {
    const { token } = issueToken('acme', new Date());
    const redirectUrl = 'https://app.example.com/segment/connected?account=42&from=segment#done';

    const link = buildEnableLink({ slug: 'acme-lake', token, redirectUrl });

    expect(link.startsWith(`${SEGMENT_ENABLE_URL}?integration=acme-lake&settings=`)).toBe(true);
    expect(parseEnableLink(link)).toEqual({ slug: 'acme-lake', apiKey: token, redirectUrl });
  });

  it('encodes settings as base64 of {"apiKey": token}, escaped for a query string', () => {
    const link = new URL(buildEnableLink({ slug: 's', token: 'sgl_+/=', redirectUrl: 'https://x.example/' }));

    expect(JSON.parse(Buffer.from(link.searchParams.get('settings')!, 'base64').toString())).toEqual({
      apiKey: 'sgl_+/=',
    });
    expect(link.search).not.toMatch(/[+/](?![^&]*%)/);
  });

  it('takes another base URL', () => {
    expect(
      buildEnableLink({
        baseUrl: 'https://segment.example/enable',
        slug: 's',
        token: 't',
        redirectUrl: 'https://r.example/',
      }),
    ).toMatch(/^https:\/\/segment\.example\/enable\?integration=s&/);
  });
});
