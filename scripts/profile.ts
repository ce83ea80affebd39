import { writeFileSync } from 'node:fs';
import * as v from 'valibot';
import { type CommandSpec, type Flag, runCommand, wholeNumber } from '../cli/command';
import { alignedTable } from '../cli/table';
import { profileCore, profileLines } from './bench/profile-core';

const PROFILE = {
  name: 'npm run profile --',
  summary:
    'Profiles the ingest core (the core bench’s requests) with V8’s sampling profiler: prints where the\ntime went by function and writes the profile, which Chrome DevTools or speedscope draw as a flame graph.',
  flags: {
    events: {
      kind: 'value',
      schema: wholeNumber(1, 500),
      unit: 'messages',
      description: 'messages per request',
      default: '100',
    },
    seconds: {
      kind: 'value',
      schema: wholeNumber(1, 120),
      unit: 's',
      description: 'how long to sample',
      default: '5',
    },
    top: {
      kind: 'value',
      schema: wholeNumber(1, 200),
      unit: 'functions',
      description: 'how many functions to list',
      default: '20',
    },
    out: {
      kind: 'value',
      schema: v.pipe(v.string(), v.regex(/\.cpuprofile$/, 'a file name ending in .cpuprofile')),
      unit: 'file',
      description: 'where to write the .cpuprofile',
      default: 'core.cpuprofile',
    },
  },
  examples: ['npm run profile', 'npm run profile -- --events 1 --seconds 10 --out single.cpuprofile'],
} as const satisfies CommandSpec<Record<string, Flag>>;

runCommand(PROFILE, async ({ values }) => {
  process.stderr.write(
    `profile: sampling the core for ${values.seconds} s (${values.events}-message requests)…\n`,
  );
  const profile = await profileCore(values.events, values.seconds);
  writeFileSync(values.out, JSON.stringify(profile));
  const lines = profileLines(profile).slice(0, values.top);
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  process.stdout.write(
    `${alignedTable(
      [
        ['SELF', 'WITH CALLEES', 'FUNCTION (FILE)'],
        ...lines.map((l) => [pct(l.self), pct(l.total), l.frame]),
      ],
      { right: [0, 1] },
    )}\n\nprofile: ${profile.samples.length.toLocaleString('en-US')} samples in ${values.seconds} s; wrote ${values.out} (open it in Chrome DevTools › Performance, or speedscope, for the flame graph)\n`,
  );
});
