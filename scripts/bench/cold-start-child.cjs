// Runs in a fresh Node process: load a bundled Lambda and handle one event, reporting the timings.
// An optional third argument handles the event that many times (warm invocations after the first),
// reporting each one's time and answer; an optional fourth waits that many ms between invocations.
// Plain JavaScript on purpose: nothing but the bundle is loaded. performance.now() counts from the
// process start, so the first reading is Node's own start-up.
const startup = performance.now();
const [bundle, eventFile, runsArg, gapArg] = process.argv.slice(2);
// 0 runs: the load alone (a function with no representative event here).
const runs = Number(runsArg ?? 1);
const gapMs = Number(gapArg ?? 0);
const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
const beforeLoad = performance.now();
const { handler } = require(bundle);
const loaded = performance.now();
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
const statusOf = (answer) =>
  answer === undefined ? 'loaded' : (answer.statusCode ?? (answer.isAuthorized ? 'allow' : 'deny'));
async function handleAll() {
  const eventsMs = [];
  const answers = [];
  for (let i = 0; i < runs; i++) {
    if (i > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    const start = performance.now();
    answers.push(await handler(event, context));
    eventsMs.push(performance.now() - start);
  }
  return { answers, eventsMs };
}
handleAll().then(
  ({ answers, eventsMs }) => {
    const answer = answers[answers.length - 1];
    const text = `${JSON.stringify({
      nodeStartMs: startup,
      loadMs: loaded - beforeLoad,
      firstEventMs: eventsMs[0] ?? null,
      eventsMs,
      status: statusOf(answer),
      headers: answer?.headers ?? {},
      statuses: answers.map(statusOf),
      answers: answers.map((a) => ({ headers: a?.headers ?? {}, context: a?.context })),
    })}\n`;
    // Calls that lost their race may still hold sockets open: the answers are all in.
    process.stdout.write(text, () => process.exit(0));
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
