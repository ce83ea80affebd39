// Builds realistic Segment payloads for the artillery scenarios and records what each request carried,
// so the lake can be reconciled afterwards. Plain CommonJS: artillery loads it in its workers.
const { appendFileSync, readFileSync } = require('node:fs');

const customers = JSON.parse(readFileSync(process.env.LOAD_CUSTOMERS_FILE, 'utf8')); // [{customerId, token, weight}]
const ledger = process.env.LOAD_LEDGER_FILE;
const runId = `${process.env.LOAD_RUN_ID || 'load'}-${process.pid}`;
const totalWeight = customers.reduce((sum, c) => sum + c.weight, 0);
const spellings = [
  'Signed Up',
  'sign_up',
  'signup',
  'Sign Up',
  'Order Completed',
  'order_completed',
  'Product Viewed',
  'productViewed',
  'button_clicked',
];
let counter = 0;
const recent = new Map(); // customerId → messages already sent

const pick = (items) => items[Math.floor(Math.random() * items.length)];
function customer() {
  let roll = Math.random() * totalWeight;
  for (const c of customers) {
    roll -= c.weight;
    if (roll < 0) return c;
  }
  return customers[0];
}

function message(timestamp) {
  const messageId = `${runId}-${++counter}`;
  const type = pick(['track', 'track', 'track', 'identify', 'page', 'screen']);
  const base = {
    type,
    messageId,
    userId: `user-${Math.floor(Math.random() * 10000)}`,
    anonymousId: `anon-${Math.floor(Math.random() * 1e9).toString(36)}`,
    timestamp,
    context: {
      library: { name: 'analytics.js', version: 'next-1.70.0' },
      ip: '203.0.113.7',
      userAgent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
      page: { path: '/pricing', url: 'https://www.example.com/pricing' },
    },
  };
  if (type === 'track')
    return {
      ...base,
      event: pick(spellings),
      properties: { plan: pick(['free', 'pro']), revenue: Math.round(Math.random() * 1e4) / 100 },
    };
  if (type === 'identify') return { ...base, traits: { email: `p${counter}@example.com`, plan: 'pro' } };
  return { ...base, name: 'Pricing', properties: { title: 'Pricing' } };
}

// About 1 in 100 messages is invalid on purpose: a track without an event.
function maybeInvalid(m) {
  if (Math.random() >= 0.01) return m;
  const { event: _event, ...rest } = m;
  return { ...rest, type: 'track' };
}

function authorize(requestParams, c) {
  requestParams.headers = {
    ...requestParams.headers,
    authorization: `Basic ${Buffer.from(`${c.token}:`).toString('base64')}`,
    'content-type': 'application/json',
  };
}

function record(context, messages, duplicates) {
  const valid = messages.filter((m) => m.type !== 'track' || m.event).map((m) => m.messageId);
  const invalid = messages.filter((m) => m.type === 'track' && !m.event).map((m) => m.messageId);
  context.vars.ledgerEntry = { customerId: context.vars.customerId, valid, invalid, duplicates };
}

function setDirectPayload(requestParams, context, _events, next) {
  const c = customer();
  context.vars.customerId = c.customerId;
  const m = maybeInvalid(message(new Date().toISOString()));
  authorize(requestParams, c);
  requestParams.body = JSON.stringify(m);
  record(context, [m], []);
  return next();
}

function setBatchPayload(requestParams, context, _events, next) {
  const c = customer();
  context.vars.customerId = c.customerId;
  const messages = Array.from({ length: 100 }, () => maybeInvalid(message(new Date().toISOString())));
  authorize(requestParams, c);
  requestParams.body = JSON.stringify({ batch: messages, sentAt: new Date().toISOString() });
  record(context, messages, []);
  return next();
}

// Replay: timestamps spread over three years, and ~2% of messages re-sent with an earlier messageId.
function setReplayPayload(requestParams, context, _events, next) {
  const c = customer();
  context.vars.customerId = c.customerId;
  const threeYears = 3 * 365 * 86_400_000;
  const messages = Array.from({ length: 20 }, () =>
    maybeInvalid(message(new Date(Date.now() - Math.random() * threeYears).toISOString())),
  );
  const duplicates = [];
  for (let i = 0; i < messages.length; i++) {
    const mine = recent.get(c.customerId) ?? [];
    if (mine.length > 0 && Math.random() < 0.02) {
      messages[i] = pick(mine);
      duplicates.push(messages[i].messageId);
    }
  }
  // Remember a few valid messages per customer (in this worker) to re-send later, as Replay does.
  const mine = recent.get(c.customerId) ?? [];
  for (const m of messages.slice(0, 2))
    if ((m.type !== 'track' || m.event) && !duplicates.includes(m.messageId)) mine.push(m);
  if (mine.length > 500) mine.splice(0, mine.length - 500);
  recent.set(c.customerId, mine);
  authorize(requestParams, c);
  requestParams.body = JSON.stringify({ batch: messages });
  record(
    context,
    messages.filter((m) => !duplicates.includes(m.messageId)),
    duplicates,
  );
  return next();
}

function recordResponse(_requestParams, response, context, _events, next) {
  const entry = context.vars.ledgerEntry;
  if (entry && ledger)
    appendFileSync(ledger, `${JSON.stringify({ ...entry, status: response.statusCode })}\n`);
  return next();
}

module.exports = { setDirectPayload, setBatchPayload, setReplayPayload, recordResponse };
