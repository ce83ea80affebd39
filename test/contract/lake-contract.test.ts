import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { silentLogger } from '../../adapters/system/json-logger';
import {
  AREA_MARKERS,
  areaJq,
  areaOf,
  LAKE_AREAS,
  landingPrefix,
  partitionCustomer,
  receivedDt,
} from '../../domain/contract/lake-areas';
import {
  EVENT_FIELDS,
  LakeEventSchema,
  LEDGER_FIELDS,
  LedgerEntrySchema,
  PARTITION_KEYS,
  QUARANTINE_FIELDS,
  QuarantineEntrySchema,
} from '../../domain/contract/lake-records';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { DEFAULT_LIMITS } from '../../domain/core/ingest/limits';
import { PARTITION_QUERY } from '../../lib/delivery-pipeline';
import { createFakeClock, createTrackMessage } from '../support/factories';
import { itWhen } from '../support/left-out';
import { ROOT } from '../support/local-destination';
import { MemorySink } from '../support/memory/memory-sink';
import { EVENT_KEYS } from '../support/reference-models';
import { synthStack } from '../support/stack';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The backticked field names in README's section `### <title>` (its table's first column, or its prose). */
function readmeFields(title: string, tableOnly: boolean): string[] {
  const section = readme.split(`### ${title}\n`)[1]!.split('\n#')[0]!;
  const source = tableOnly
    ? section
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .map((l) => l.split('|')[1]!)
        .join(' ')
    : section;
  return [...source.matchAll(/`([a-z_]+)(?::[^`]*)?`/g)]
    .map((m) => m[1]!)
    .filter((name) => /_|^[a-z]+$/.test(name));
}

/** Real lines of each area, as the ingest core builds them. */
async function linesOfEveryArea() {
  const sink = new MemorySink();
  const deps = {
    sink,
    clock: createFakeClock(),
    retry: { budgetMs: 1, baseDelayMs: 1, maxDelayMs: 1, retryAfterSeconds: 1, throttleBudgetMs: 1 },
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  };
  const body = JSON.stringify({ batch: [createTrackMessage(), { type: 'track', userId: 'u' }] });
  await ingestRequest({ body, customerId: 'acme', requestId: 'req-contract', aliases: new Map() }, deps);
  return { events: sink.lines('events'), quarantine: sink.lines('quarantine'), ledger: sink.lines('ledger') };
}

describe('the lake contract is the one definition', () => {
  it('README documents exactly the contract’s fields', () => {
    expect(new Set(readmeFields('Event record', true))).toEqual(new Set(Object.keys(EVENT_FIELDS)));
    const quarantine = new Set(readmeFields('Quarantine record', false));
    for (const name of Object.keys(QUARANTINE_FIELDS))
      expect([name, quarantine.has(name)]).toEqual([name, true]);
    const ledger = new Set(readmeFields('Ledger record', false));
    for (const name of Object.keys(LEDGER_FIELDS)) expect([name, ledger.has(name)]).toEqual([name, true]);
  });

  it('the line builder writes the contract’s keys, in its order, and every line parses with its schema', async () => {
    const lines = await linesOfEveryArea();

    expect(Object.keys(lines.events[0]!)).toEqual(EVENT_KEYS);
    expect(v.safeParse(LakeEventSchema, lines.events[0]).success).toBe(true);
    expect(v.safeParse(QuarantineEntrySchema, lines.quarantine[0]).success).toBe(true);
    expect(v.safeParse(LedgerEntrySchema, lines.ledger[0]).success).toBe(true);
  });

  it('routes every line to its own area, and the Glue tables have the contract’s columns', async () => {
    const lines = await linesOfEveryArea();
    for (const area of LAKE_AREAS) for (const line of lines[area]) expect(areaOf(line)).toBe(area);

    const tables = Object.values(synthStack().template.findResources('AWS::Glue::Table'));
    const columns = (name: string) =>
      tables
        .find((t) => t.Properties.TableInput.Name === name)!
        .Properties.TableInput.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name);
    const expected = (fields: object, partitions: readonly string[]) =>
      Object.keys(fields).filter((k) => !partitions.includes(k));
    // Landing tables: events partitioned by customer (and receive date, not a field); the others by
    // receive date alone, with the customer a column. The first layout's tables: customer and dt.
    expect(columns('events')).toEqual(expected(EVENT_FIELDS, ['customer_id']));
    expect(columns('quarantine')).toEqual(expected(QUARANTINE_FIELDS, []));
    expect(columns('ledger')).toEqual(expected(LEDGER_FIELDS, []));
    expect(columns('events_v1')).toEqual(expected(EVENT_FIELDS, PARTITION_KEYS));
  });

  // Debian's jq 1.6 — the version Firehose's JQ-1.6 engine runs — installed by .ci/run.
  const hasJq = spawnSync('jq', ['--version']).status === 0;
  itWhen(hasJq, 'the Firehose jq query run on real lines: jq is not installed (apt-get install jq)')(
    'the stack’s own jq query puts real lines of each area where the contract says',
    async () => {
      const lines = await linesOfEveryArea();
      const query = `{${Object.entries(PARTITION_QUERY)
        .map(([k, q]) => `${k}:${q}`)
        .join(',')}}`;
      for (const area of LAKE_AREAS) {
        for (const line of lines[area]) {
          const run = spawnSync('jq', ['-c', query], { input: JSON.stringify(line), encoding: 'utf8' });
          expect(JSON.parse(run.stdout)).toEqual({
            area,
            customer_id: partitionCustomer(area, 'acme'),
            received_dt: receivedDt(line),
          });
          // …which is the prefix the local sink writes too.
          expect(landingPrefix(area, 'acme', receivedDt(line))).toBe(
            `${area}/customer_id=${partitionCustomer(area, 'acme')}/received_dt=${receivedDt(line)}/`,
          );
        }
      }
    },
  );

  it('the jq rule is generated from the same markers as areaOf', () => {
    for (const { area, field } of AREA_MARKERS) expect(areaJq()).toContain(`has("${field}") then "${area}"`);
  });
});
