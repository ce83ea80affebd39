/**
 * Progress of long work (README, "Commands"): on a terminal, one live line rewritten in place
 * (done/total, rate, ETA); otherwise (CI logs, pipes) a plain line at most every `everyMs`. Always on
 * stderr, so stdout carries only the data (`--json`, `--csv`) or the summary that comes last.
 *
 * Hand-written rather than a library (cli-progress, ora): the whole terminal part is one carriage
 * return and one erase-line code, and this keeps the clock and the stream injectable for tests.
 */

interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** The command, first on the line: `fuzz`, `bench`. */
  label: string;
  /** What is counted: `requests`, `s`. */
  unit: string;
  /** How many there will be; without it, no percentage and no ETA. */
  total?: number;
  stream?: ProgressStream;
  /** Milliseconds; injected by tests. */
  now?: () => number;
  /** Plain mode: the least time between two lines. 5 s keeps a 10-minute soak to ~120 lines. */
  everyMs?: number;
  /** Terminal mode: the least time between two redraws; 10 per second reads as live. */
  redrawMs?: number;
}

export interface Progress {
  /** `done` so far; a total learnt only once the work started; a note for the end of the line. */
  update(done: number, more?: { total?: number; note?: string }): void;
  /** Ends the live line (the last figures stay on screen). */
  finish(note?: string): void;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** `42 s`, `3 min 05 s`, `1 h 02 min`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * One progress line: `fuzz: 1,250/5,000 requests (25%), 410/s, ETA 9 s, 3 errors`.
 *
 * @internal
 */
export function progressLine(state: {
  label: string;
  unit: string;
  done: number;
  total?: number;
  elapsedMs: number;
  note?: string;
}): string {
  const { label, unit, done, total, elapsedMs, note } = state;
  const seconds = elapsedMs / 1000;
  const parts = [
    total !== undefined
      ? `${count(done)}/${count(total)} ${unit} (${total > 0 ? Math.floor((100 * done) / total) : 100}%)`
      : `${count(done)} ${unit}`,
  ];
  // A rate and an ETA from less than a second of work would be noise.
  if (seconds >= 1 && unit !== 's' && done / seconds >= 1) parts.push(`${count(done / seconds)}/s`);
  if (seconds >= 1 && total !== undefined && done > 0 && done < total)
    parts.push(`ETA ${duration(((total - done) * seconds) / done)}`);
  if (total === undefined || done >= total) parts.push(`${duration(seconds)} elapsed`);
  if (note) parts.push(note);
  return `${label}: ${parts.join(', ')}`;
}

export function progress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const live = stream.isTTY === true;
  const minGap = live ? (options.redrawMs ?? 100) : (options.everyMs ?? 5_000);
  const started = now();
  let last = Number.NEGATIVE_INFINITY;
  let total = options.total;
  let latest = { done: 0, note: undefined as string | undefined };
  let drawn = false;
  const draw = () => {
    const line = progressLine({
      label: options.label,
      unit: options.unit,
      ...(total !== undefined ? { total } : {}),
      ...latest,
      elapsedMs: now() - started,
    });
    stream.write(live ? `\r\x1b[K${line}` : `${line}\n`);
    drawn = true;
  };
  return {
    update(done, more) {
      if (more?.total !== undefined) total = more.total;
      latest = { done, note: more?.note };
      const at = now();
      if (at - last < minGap) return;
      last = at;
      draw();
    },
    finish(note) {
      if (note !== undefined) latest = { ...latest, note };
      // The final figures are always shown once, whatever the throttle did to the last update.
      draw();
      if (live && drawn) stream.write('\n');
    },
  };
}
