// Runs in a fresh Node process: load a bundled Lambda and handle one event, reporting the timings.
// Plain JavaScript on purpose: nothing but the bundle is loaded. performance.now() counts from the
// process start, so the first reading is Node's own start-up.
const startup = performance.now();
const [bundle, eventFile] = process.argv.slice(2);
const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
const beforeLoad = performance.now();
const { handler } = require(bundle);
const loaded = performance.now();
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
Promise.resolve(handler(event, context)).then(
  (answer) => {
    const handled = performance.now();
    process.stdout.write(
      `${JSON.stringify({ nodeStartMs: startup, loadMs: loaded - beforeLoad, firstEventMs: handled - loaded, status: answer.statusCode ?? (answer.isAuthorized ? 'allow' : 'deny') })}\n`,
    );
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
