import { matchIngestRoute } from '../../local/routes';

describe('the local server matches the deployed ingest routes', () => {
  it.each([
    ['/', { routeKey: 'POST /' }],
    ['/v1/batch', { routeKey: 'POST /v1/batch' }],
    ['/v1/track', { routeKey: 'POST /v1/{type}', pathParameters: { type: 'track' } }],
    ['/v1/t%72ack', { routeKey: 'POST /v1/{type}', pathParameters: { type: 'track' } }],
  ])('POST %s', (path, expected) => {
    expect(matchIngestRoute('POST', path)).toEqual(expected);
  });

  it.each([
    ['GET', '/'],
    ['POST', '/v2/track'],
    ['POST', '/v1/track/x'],
    ['POST', '/v1/%E0%A4%A'],
  ])('%s %s is no route (404)', (method, path) => {
    expect(matchIngestRoute(method, path)).toBeUndefined();
  });
});
