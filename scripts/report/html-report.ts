/**
 * The one way our commands write a report people look at (`query --html`, `load`/`soak`'s report.html,
 * `bench --html`): a self-contained HTML page whose charts vega-lite specifies and vega renders to SVG
 * in Node — the page needs no script, no CDN and no network to open.
 */
import type * as vegaLite from 'vega-lite';

export type ChartSpec = vegaLite.TopLevelSpec;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** A chart as an SVG element inside a <figure> named by `id` (tests and readers find it by name). */
export async function chartFigure(id: string, spec: ChartSpec): Promise<string> {
  // Loaded here, at the first chart (~0.5 s): a command's --help, its usage errors and its text output
  // should not wait for them.
  const vega = require('vega') as typeof import('vega');
  const { compile } = require('vega-lite') as typeof import('vega-lite');
  // A copy: vega tags the data rows it is given (a vega_id symbol), and the caller's rows are not its own.
  const compiled = compile(structuredClone(spec)).spec;
  const svg = await new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
  return `<figure class="chart" id="${escapeHtml(id)}">${svg}</figure>`;
}

/** Horizontal bars, longest first unless told: one per label (at most 25, the rest would not be read). */
export function barSpec(
  title: string,
  rows: { label: string; count: number }[],
  xTitle = 'count',
  { sorted = true }: { sorted?: boolean } = {},
): ChartSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 640,
    height: { step: 22 },
    data: { values: rows.slice(0, 25) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: {
        field: 'label',
        type: 'nominal',
        sort: sorted ? '-x' : null,
        title: null,
        axis: { labelLimit: 320 },
      },
      x: { field: 'count', type: 'quantitative', title: xTitle },
    },
  };
}

/** Lines over time, one per series; `t` is seconds since the start of the run. */
export function linesOverTimeSpec(
  title: string,
  points: { t: number; series: string; value: number }[],
  yTitle: string,
): ChartSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 640,
    height: 220,
    data: { values: points },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'seconds since start' },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** A whole page: a title, the body, and a style that prints and reads well. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:60rem}td,th{padding:.2rem .8rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}.empty{color:#666}.failed{color:#b00020}.passed{color:#1b5e20}figure{margin:1.5rem 0}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}
