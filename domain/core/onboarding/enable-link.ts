/** Where Segment's "enable a destination" flow starts (docs/segment-contract.md, "Enabling the destination for a customer"). */
export const SEGMENT_ENABLE_URL = 'https://app.segment.com/enable';

export interface EnableLinkOptions {
  /** Segment's enable page; configurable for tests and for a future URL change. */
  baseUrl?: string;
  /** The destination's slug in Segment's catalog. */
  slug: string;
  /** The key Segment will send back in every request's Authorization header. */
  token: string;
  /** Where Segment sends the customer's browser when the destination is enabled. */
  redirectUrl: string;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * The link that enables the destination in the customer's Segment workspace:
 * `…/enable?integration=<slug>&settings=<base64 {"apiKey": token}>&redirect_url=<base64 url>`.
 *
 * @example buildEnableLink({ slug: 'acme-lake', token: 'sgl_…', redirectUrl: 'https://app.example.com/done' })
 */
export function buildEnableLink(options: EnableLinkOptions): string {
  const url = new URL(options.baseUrl ?? SEGMENT_ENABLE_URL);
  url.searchParams.set('integration', options.slug);
  url.searchParams.set('settings', b64(JSON.stringify({ apiKey: options.token })));
  url.searchParams.set('redirect_url', b64(options.redirectUrl));
  return url.toString();
}
