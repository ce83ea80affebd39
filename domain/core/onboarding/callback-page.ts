import type { HttpAnswer } from '../common/http-answer';

/**
 * The page Segment sends the customer's browser back to after enabling the destination. It is
 * static: nothing from the query string is echoed (so odd or hostile query strings change nothing),
 * and it reveals no key, customer or account detail.
 */
export function callbackPage(): HttpAnswer {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Segment connected</title>
<style>
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f6f7f9; color: #1f2933; }
  main { max-width: 36rem; margin: 10vh auto; padding: 2rem 2.5rem; background: #fff; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.6rem; margin: 0 0 1rem; }
  li { margin: .4rem 0; }
  .done { color: #117a43; }
</style>
</head>
<body>
<main>
  <h1 class="done">Your Segment source is connected</h1>
  <p>The destination is set up. Here is what happens next:</p>
  <ul>
    <li>New events from this Segment source start arriving within a few minutes.</li>
    <li>Events are checked, cleaned up and stored by customer and date, ready for analysis.</li>
    <li>Want your history too? Start a Replay from your Segment workspace.</li>
  </ul>
  <p>You can close this window.</p>
</main>
</body>
</html>
`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body: html,
  };
}
