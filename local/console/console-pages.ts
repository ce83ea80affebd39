/**
 * The console's two HTML documents. Neither has an inline script or style (the Content-Security-Policy
 * allows only /console/assets/*); the only value put into them is the operator's name, escaped.
 */
const HEAD = `<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/console/assets/console.css">`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The answer to anyone without a valid operator key: 401, this form as the body. */
export function signInPage(error?: string): string {
  return `<!doctype html>
<html lang="en">
<head>${HEAD}
<title>Sign in — Segment lake console</title>
</head>
<body class="sign-in">
<main>
<h1>Segment lake console</h1>
<p>For operators: sign in with an operator key (<code>npm run tokens -- operator create</code>). A customer's write key does not open it.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/console/sign-in">
<label for="key">Operator key</label>
<input id="key" name="key" type="password" autocomplete="off" required autofocus spellcheck="false">
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}

/** The console itself: its markup is static; the script fills it from the API and the stream. */
export function consolePage(operator: string): string {
  return `<!doctype html>
<html lang="en">
<head>${HEAD}
<title>Segment lake console</title>
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<header>
<h1>Segment lake console</h1>
<p class="who">Signed in as <strong>${escapeHtml(operator)}</strong></p>
<form method="post" action="/console/sign-out"><button type="submit">Sign out</button></form>
</header>
<main>
<section aria-labelledby="overview-title">
<h2 id="overview-title">Customers <span id="live-state" class="muted" role="status">connecting…</span></h2>
<table id="overview" aria-describedby="overview-help">
<caption id="overview-help">Per customer, the last minute and the last 30 minutes (events per minute). Choose a customer to see its messages.</caption>
<thead><tr><th scope="col">Customer</th><th scope="col">Events/min</th><th scope="col">Quarantined/min</th><th scope="col">Refused/min</th><th scope="col">Last 30 min</th><th scope="col">Last seen</th><th scope="col">Completeness</th></tr></thead>
<tbody></tbody>
</table>
<p id="overview-empty" class="muted">No traffic yet: send an event (README, "Try it locally").</p>
</section>
<section id="customer" aria-labelledby="customer-title" hidden>
<h2 id="customer-title">Customer</h2>
<div class="toolbar">
<label for="search">Search by messageId, userId or event</label>
<input id="search" type="search" autocomplete="off" spellcheck="false">
<button id="pause" type="button" aria-pressed="false">Pause</button>
<span id="paused-note" class="muted" role="status"></span>
</div>
<h3>Latest messages</h3>
<ol id="messages" class="messages" aria-live="polite"></ol>
<div class="columns">
<div><h3>Quarantine by reason</h3><ul id="reasons"></ul></div>
<div><h3>Tracking-plan violations</h3><ul id="violations"></ul></div>
</div>
<h3>Delete requests</h3>
<table id="erasures"><thead><tr><th scope="col">Request</th><th scope="col">User (keyed hash)</th><th scope="col">State</th><th scope="col">Received</th><th scope="col">Executed</th><th scope="col">Rows removed</th></tr></thead><tbody></tbody></table>
<div class="columns">
<div><h3>Latest intent reports</h3><div id="intent"></div></div>
<div><h3>Audiences</h3><ul id="audiences"></ul></div>
</div>
</section>
</main>
</body>
</html>
`;
}
