import * as v from 'valibot';
import { FileTokenStore } from '../adapters/local/file-token-store';
import { type CommandSpec, type Flag, oneOf, runCommand, wholeNumber } from '../cli/command';
import { customerFlag, dayFlag } from '../cli/flags';
import { progress } from '../cli/progress';
import { createToken } from '../domain/core/keys/token-admin';
import { readLocalConfig } from '../local/config';
import { simulateJourneys } from './simulate/journeys';
import { sendBatches } from './simulate/send';

const today = () => new Date().toISOString().slice(0, 10);

const SIMULATE = {
  name: 'npm run simulate --',
  summary: [
    "A customer's users over some days — identifies, page views, track events with Segment's names in",
    'mixed spellings, sign-ups, a Replay-like resend — sent through the HTTP API of a running local',
    'destination (npm start). --signal pricing plants a behaviour that raises sign-ups (each pricing-page',
    'view doubles the chance, up to 32× from the fifth); --signal interaction makes each pricing view double',
    'it for users of 51-200-person companies while the rest start at 4× and halve it per view (a signal',
    'trees find and a linear model misses); --signal none plants nothing. Creates a key for',
    'the customer in $DATA_DIR unless --key is given. Then: npm run compact, npm run intent.',
  ].join('\n'),
  flags: {
    customer: customerFlag('the customer the events belong to', 'demo'),
    users: {
      kind: 'value',
      schema: wholeNumber(10, 1_000_000),
      unit: 'users',
      description: 'users to simulate',
      default: '20000',
    },
    days: {
      kind: 'value',
      schema: wholeNumber(7, 3_650),
      unit: 'days',
      description: 'days of history',
      default: '60',
    },
    seed: {
      kind: 'value',
      schema: wholeNumber(0, 2 ** 31 - 1),
      unit: 'number',
      description: 'the random seed',
      default: '7',
    },
    signal: {
      kind: 'value',
      schema: oneOf(['pricing', 'interaction', 'none']),
      unit: 'signal',
      description: 'the planted behaviour: pricing, interaction or none',
      default: 'pricing',
    },
    identity: {
      kind: 'value',
      schema: oneOf(['devices', 'anonymous-until-sign-up', 'both']),
      unit: 'ids',
      description:
        'devices: people as analytics.js sends them — anonymous until sign-up, several devices, log-ins and log-outs, shared devices, aliases; anonymous-until-sign-up: one device, only an anonymousId until sign-up; both: every message both ids',
      default: 'devices',
    },
    end: dayFlag('the last simulated day (default: today, UTC)'),
    url: {
      kind: 'value',
      schema: v.pipe(v.string(), v.url('a URL')),
      unit: 'url',
      description: 'the destination (default: http://127.0.0.1:$PORT of npm start)',
    },
    key: {
      kind: 'value',
      schema: v.pipe(v.string(), v.minLength(1, 'a key')),
      unit: 'key',
      description: "the customer's API key (default: a new one in $DATA_DIR)",
    },
  },
  examples: [
    'npm run simulate -- --customer demo --users 20000 --days 60 --seed 7',
    'npm run simulate -- --signal none --users 2000',
  ],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(SIMULATE, async ({ values }) => {
  const config = readLocalConfig(process.env);
  const url = values.url ?? `http://127.0.0.1:${config.port}`;
  const key =
    values.key ?? (await createToken(new FileTokenStore(config.dataDir), values.customer, new Date())).token;
  const end = values.end ?? today();
  const messages = simulateJourneys({ ...values, end });
  process.stderr.write(
    `simulate: ${messages.length.toLocaleString('en-US')} messages for ${values.users} users over ${values.days} days to ${end}, to ${url}\n`,
  );
  const bar = progress({ label: 'simulate', unit: 'messages', total: messages.length });
  const report = await sendBatches(url, key, messages, (sent) => bar.update(sent));
  bar.finish();
  process.stdout.write(
    `Sent ${messages.length.toLocaleString('en-US')} messages (${report.requests} requests, ${report.retries} retried): ${report.accepted.toLocaleString('en-US')} accepted, ${report.refused} refused.\nNext: npm run compact, then npm run intent -- --customer ${values.customer} --event signed_up\n`,
  );
  if (report.refused > 0) process.exit(1);
});
