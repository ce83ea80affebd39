// Runs in a fresh Node process: load a bundled Lambda and handle one event, reporting the timings.
// An optional third argument handles the event that many times (warm invocations after the first),
// reporting each one's time and the last answer.
// Plain JavaScript on purpose: nothing but the bundle is loaded. performance.now() counts from the
// process start, so the first reading is Node's own start-up.
const startup = performance.now();
const [bundle, eventFile, runsArg] = process.argv.slice(2);
// 0 runs: the load alone (a function with no representative event here).
const runs = Number(runsArg ?? 1);
const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
const beforeLoad = performance.now();
const { handler } = require(bundle);
const loaded = performance.now();
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
async function handleAll() {
  const eventsMs = [];
  let answer;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    answer = await handler(event, context);
    eventsMs.push(performance.now() - start);
  }
  return { answer, eventsMs };
}
handleAll().then(
  ({ answer, eventsMs }) => {
    process.stdout.write(
      `${JSON.stringify({ nodeStartMs: startup, loadMs: loaded - beforeLoad, firstEventMs: eventsMs[0] ?? null, eventsMs, status: answer === undefined ? 'loaded' : (answer.statusCode ?? (answer.isAuthorized ? 'allow' : 'deny')), headers: answer?.headers ?? {} })}\n`,
    );
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
