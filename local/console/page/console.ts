/**
 * The console's page script (bundled by local/console/console-assets.ts). Everything that comes from an
 * event — names, ids, traits, whole messages — is put in the page with `textContent` or as an attribute
 * value, never parsed as markup. The overview comes from the stream every second; a customer's panel
 * from the API, and its new messages from the stream as they arrive.
 */
import type { LiveMessage, MinuteCounts } from '../../../domain/core/console/live-view';
import type { CustomerPanel, OverviewRow } from '../console-source';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const SVG = 'http://www.w3.org/2000/svg';
const MAX_SHOWN = 200;

let selected = '';
let paused = false;
let held: LiveMessage[] = [];
let source: EventSource | undefined;
let searchTimer: number | undefined;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const perMinute = (row: OverviewRow, key: keyof Omit<MinuteCounts, 'minute'>) =>
  row.minutes.at(-1)?.[key] ?? 0;
const ago = (iso: string) => {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 60
    ? `${seconds} s ago`
    : seconds < 3600
      ? `${Math.round(seconds / 60)} min ago`
      : new Date(iso).toISOString();
};

/** Events per minute over 30 minutes as bars, quarantined in their own colour: an SVG built node by node. */
function sparkline(minutes: MinuteCounts[]): SVGSVGElement {
  const width = 150;
  const height = 28;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('role', 'img');
  const most = Math.max(1, ...minutes.map((m) => m.events + m.quarantined));
  const bar = width / minutes.length;
  minutes.forEach((m, i) => {
    for (const [value, below, cls] of [
      [m.events, 0, 'bar-events'],
      [m.quarantined, m.events, 'bar-quarantined'],
    ] as const) {
      if (value === 0) continue;
      const rect = document.createElementNS(SVG, 'rect');
      const h = (value / most) * (height - 2);
      rect.setAttribute('x', String(i * bar));
      rect.setAttribute('y', String(height - h - (below / most) * (height - 2)));
      rect.setAttribute('width', String(Math.max(1, bar - 1)));
      rect.setAttribute('height', String(h));
      rect.setAttribute('class', cls);
      svg.append(rect);
    }
  });
  const total = minutes.reduce((sum, m) => sum + m.events, 0);
  const title = document.createElementNS(SVG, 'title');
  title.textContent = `${total} events in the last ${minutes.length} minutes`;
  svg.prepend(title);
  return svg;
}

function renderOverview(rows: OverviewRow[]): void {
  const body = $('overview').querySelector('tbody')!;
  const focused = document.activeElement?.getAttribute('data-customer');
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = el('tr');
      if (row.customerId === selected) tr.className = 'selected';
      const button = el('button', row.customerId, 'link');
      button.type = 'button';
      button.setAttribute('data-customer', row.customerId);
      button.setAttribute('aria-pressed', String(row.customerId === selected));
      button.addEventListener('click', () => select(row.customerId));
      const name = el('th');
      name.scope = 'row';
      name.append(button);
      const chart = el('td');
      chart.append(sparkline(row.minutes));
      const status = row.completeness;
      const completeness = el(
        'td',
        status.status === 'missing'
          ? `${status.missing} missing`
          : status.status === 'complete'
            ? 'complete'
            : 'not read yet',
        `status-${status.status}`,
      );
      tr.append(
        name,
        el('td', String(perMinute(row, 'events')), 'number'),
        el('td', String(perMinute(row, 'quarantined')), 'number'),
        el('td', String(perMinute(row, 'refused')), 'number'),
        chart,
        el('td', ago(row.lastSeen)),
        completeness,
      );
      return tr;
    }),
  );
  $('overview-empty').hidden = rows.length > 0;
  // Keyboard focus stays on the customer it was on, across the redraw.
  if (focused)
    body.querySelector<HTMLButtonElement>(`button[data-customer="${CSS.escape(focused)}"]`)?.focus();
}

function messageItem(m: LiveMessage): HTMLLIElement {
  const li = el('li', undefined, m.kind === 'quarantine' ? 'quarantined' : 'event');
  const head = el('div', undefined, 'message-head');
  head.append(
    el('time', m.receivedAt),
    el('span', m.kind === 'quarantine' ? `quarantined: ${m.reason?.code ?? ''}` : (m.type ?? ''), 'kind'),
    el('span', m.event ?? '', 'event-name'),
    el('span', `messageId ${m.messageId ?? '—'}`, 'id'),
    el('span', `userId ${m.userId ?? '—'}`, 'id'),
    el('span', `anonymousId ${m.anonymousId ?? '—'}`, 'id'),
  );
  li.append(head);
  if (m.reason) li.append(el('p', m.reason.message, 'reason'));
  for (const v of m.violations) li.append(el('p', `${v.rule} at ${v.path}: ${v.message}`, 'violation'));
  const details = el('details');
  details.append(el('summary', 'Record and message as sent'));
  details.append(el('h4', 'Normalized record'), el('pre', m.record), el('h4', 'As sent'), el('pre', m.sent));
  li.append(details);
  return li;
}

function renderMessages(): void {
  $('messages').replaceChildren(...held.slice(0, MAX_SHOWN).map(messageItem));
}

/** Counts by name (a quarantine reason, a plan rule), each with the examples still held. */
function countedList(
  id: string,
  rows: { name: string; count: number; examples: LiveMessage[] }[],
  example: (m: LiveMessage) => string,
): void {
  $(id).replaceChildren(
    ...(rows.length === 0
      ? [el('li', 'none', 'muted')]
      : rows.map((row) => {
          const li = el('li');
          li.append(el('strong', row.name), el('span', ` ${row.count} held`));
          const examples = el('ul');
          for (const m of row.examples) examples.append(el('li', example(m)));
          li.append(examples);
          return li;
        })),
  );
}

function renderPanel(panel: CustomerPanel): void {
  // Paused, the list stays as it is; the rest of the panel is kept current.
  if (!paused) {
    held = panel.messages;
    renderMessages();
  }
  countedList(
    'reasons',
    panel.quarantineReasons.map((r) => ({ name: r.code, count: r.count, examples: r.examples })),
    (m) => m.reason?.message ?? '',
  );
  countedList(
    'violations',
    panel.violations.map((v) => ({ name: v.rule, count: v.count, examples: v.examples })),
    (m) => `${m.event ?? m.type ?? ''} (${m.messageId ?? ''})`,
  );
  const erasures = $('erasures').querySelector('tbody')!;
  erasures.replaceChildren(
    ...panel.erasures.map((e) => {
      const tr = el('tr');
      tr.append(
        el('td', e.messageId),
        el('td', e.userHash, 'id'),
        el('td', e.status),
        el('td', e.receivedAt),
        el('td', e.executedAt ?? '—'),
        el('td', e.rowsRemoved === null ? '—' : String(e.rowsRemoved)),
      );
      return tr;
    }),
  );
  if (panel.erasures.length === 0) {
    const tr = el('tr');
    const td = el('td', 'none', 'muted');
    td.colSpan = 6;
    tr.append(td);
    erasures.append(tr);
  }
  $('intent').replaceChildren(
    ...(panel.intent.length === 0
      ? [el('p', 'No intent report yet (npm run intent).', 'muted')]
      : panel.intent.map((report) => {
          const dl = el('dl');
          dl.append(el('dt', 'event'), el('dd', report.eventKey), el('dt', 'as of'), el('dd', report.asOf));
          for (const [key, value] of Object.entries(report.summary))
            dl.append(el('dt', key), el('dd', String(value)));
          return dl;
        })),
  );
  $('audiences').replaceChildren(
    ...(panel.audiences.length === 0
      ? [el('li', 'No audiences (npm run audience -- create).', 'muted')]
      : panel.audiences.map((a) =>
          el(
            'li',
            `${a.name}: ${a.event}, top ${a.top} %, holdout ${a.holdout} %, ${a.target ?? 0} users as of ${a.asOf ?? '—'}`,
          ),
        )),
  );
}

async function loadPanel(): Promise<void> {
  if (!selected) return;
  const search = ($('search') as HTMLInputElement).value;
  const answer = await fetch(
    `/console/api/customers/${encodeURIComponent(selected)}?search=${encodeURIComponent(search)}`,
    {
      credentials: 'same-origin',
    },
  );
  if (answer.status === 401) return location.reload();
  renderPanel((await answer.json()) as CustomerPanel);
}

function matchesSearch(m: LiveMessage): boolean {
  const needle = ($('search') as HTMLInputElement).value.trim().toLowerCase();
  return (
    needle === '' ||
    [m.messageId, m.userId, m.anonymousId, m.event].some((v) => v?.toLowerCase().includes(needle))
  );
}

function connect(): void {
  source?.close();
  source = new EventSource(`/console/stream?customer=${encodeURIComponent(selected)}`);
  source.addEventListener('open', () => {
    $('live-state').textContent = 'live';
  });
  source.addEventListener('error', () => {
    $('live-state').textContent = 'reconnecting…';
  });
  source.addEventListener('overview', (event) => {
    renderOverview(JSON.parse((event as MessageEvent<string>).data) as OverviewRow[]);
  });
  source.addEventListener('messages', (event) => {
    const { messages, dropped } = JSON.parse((event as MessageEvent<string>).data) as {
      messages: LiveMessage[];
      dropped: number;
    };
    if (paused) {
      $('paused-note').textContent = 'paused: new messages are not shown until you resume';
      return;
    }
    const fresh = messages.filter(matchesSearch).reverse();
    held = [...fresh, ...held].slice(0, MAX_SHOWN);
    renderMessages();
    // Faster than a person reads: the list shows a sample, and says so.
    $('paused-note').textContent =
      dropped > 0 ? `showing a sample: ${dropped} more arrived in the last second` : '';
  });
}

function select(customerId: string): void {
  selected = customerId;
  $('customer').hidden = false;
  $('customer-title').textContent = `Customer ${customerId}`;
  history.replaceState(null, '', `#${encodeURIComponent(customerId)}`);
  connect();
  void loadPanel();
}

function start(): void {
  ($('search') as HTMLInputElement).addEventListener('input', () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => void loadPanel(), 250);
  });
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    $('pause').setAttribute('aria-pressed', String(paused));
    if (!paused) {
      $('paused-note').textContent = '';
      void loadPanel();
    }
  });
  const fromHash = decodeURIComponent(location.hash.slice(1));
  if (fromHash) select(fromHash);
  else connect();
}

start();
