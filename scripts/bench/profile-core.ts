import { Session } from 'node:inspector/promises';
import { relative } from 'node:path';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { benchIngestDeps, coreBenchBodies, NO_ALIASES } from './core-bench';

/** A V8 CPU profile (the `.cpuprofile` format Chrome DevTools and speedscope draw as flame graphs). */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  /** `function (file)`, the file relative to the repository. */
  frame: string;
  /** Share of the sampled time spent in the function itself. */
  self: number;
  /** Share of the sampled time spent in it and what it called. */
  total: number;
}

const ROOT = relative(process.cwd(), `${__dirname}/../..`) || '.';

/**
 * Profiles the core alone (the same requests, sink and dependencies as the core bench) for about
 * `seconds`, with V8's sampling profiler in this process.
 */
export async function profileCore(batchSize: number, seconds: number): Promise<CpuProfile> {
  const bodies = coreBenchBodies(batchSize);
  const run = async (i: number) => {
    const answer = await ingestRequest(
      { body: bodies[i % bodies.length]!, customerId: 'bench', requestId: `p-${i}`, aliases: NO_ALIASES },
      benchIngestDeps,
    );
    if (answer.statusCode !== 200) throw new Error(`core answered ${answer.statusCode}`);
  };
  for (let i = 0; i < 200; i++) await run(i); // warm-up: the profile is of optimized code
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const end = performance.now() + seconds * 1000;
    for (let i = 0; performance.now() < end; i++) await run(i);
    const { profile } = await session.post('Profiler.stop');
    return profile as unknown as CpuProfile;
  } finally {
    session.disconnect();
  }
}

/**
 * Where the time went, by function: each one's own share of the samples and its share with what it
 * called, largest own share first. Pure: the profile in, the lines out.
 */
export function profileLines(profile: CpuProfile): ProfileLine[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const own = new Map<number, number>();
  let sampled = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    own.set(id, (own.get(id) ?? 0) + delta);
    sampled += delta;
  });
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const [id, time] of own) {
    const name = frameName(byId.get(id)!.callFrame);
    self.set(name, (self.get(name) ?? 0) + time);
    // Each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = frameName(byId.get(at)!.callFrame);
      if (seen.has(frame)) continue;
      seen.add(frame);
      total.set(frame, (total.get(frame) ?? 0) + time);
    }
  }
  return [...self]
    .map(([frame, time]) => ({ frame, self: time / sampled, total: (total.get(frame) ?? 0) / sampled }))
    .sort((a, b) => b.self - a.self);
}

function frameName(frame: { functionName: string; url: string }): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const path = frame.url.replace(/^file:\/\//, '');
  const inRepo = relative(ROOT, path);
  return `${name} (${inRepo.startsWith('..') ? path : inRepo})`;
}
