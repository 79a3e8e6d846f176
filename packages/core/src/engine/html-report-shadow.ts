import { ATTRIBUTION_PARTS, type AttributionPart } from '../execution/shadow/attribution';
import type {
  ShadowAttribution,
  ShadowOrderReport,
  ShadowOutcome,
  ShadowReport,
} from '../execution/shadow/shadow-report';
import { esc } from './html-escape';

/** Rows of the shadow orders table; the rest is summarised as a count. */
export const MAX_SHADOW_ROWS = 500;

const PART_LABELS: Readonly<Record<AttributionPart | 'total', string>> = {
  slippage: 'Slippage',
  latency: 'Latency',
  fees: 'Fees',
  partialFills: 'Partial fills',
  missedFills: 'Missed fills',
  extraFills: 'Extra fills',
  total: 'Total',
};

const OUTCOME_LABELS: Readonly<Record<ShadowOutcome, string>> = {
  matched: 'matched',
  partial: 'partial',
  missed: 'missed',
  extra: 'extra',
  unfilled: 'unfilled',
};

/** CSS of the shadow section, added to the report's. */
export const SHADOW_CSS = `
.outcome{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;background:#f1f5f9;color:#475569}
.outcome.partial{background:#fef3c7;color:#92400e}.outcome.missed{background:#fee2e2;color:#991b1b}.outcome.extra{background:#dbeafe;color:#1e40af}
.shadow-grid{display:grid;grid-template-columns:minmax(220px,1fr) 2.4fr;gap:20px;align-items:start;margin:6px 0 14px}
.shadow-grid .kv td{text-align:right}
.attr-label{font-size:12px;fill:#334155}.attr-value{font-size:12px;fill:#0f172a;font-variant-numeric:tabular-nums}
.shadow-grid>*{min-width:0}.attr-wrap{overflow-x:auto}.attr-wrap svg{min-width:480px;max-width:640px}
.attr-total .attr-label,.attr-total .attr-value{font-weight:650}
.fills .sub{color:#64748b;font-size:12px}
.shadow-orders td,.shadow-orders th{padding:6px 8px;font-size:13px}.shadow-orders th{font-size:12px}
@media (max-width:820px){.shadow-grid{grid-template-columns:1fr}}
`.trim();

/** An exact decimal string for display: grouped thousands, a true minus sign, a + on gains. */
function amount(text: string): string {
  const negative = text.startsWith('-');
  const [whole = '0', frac] = (negative ? text.slice(1) : text).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const body = frac === undefined ? grouped : `${grouped}.${frac}`;
  if (/^[0.,]*$/.test(body)) return body;
  return `${negative ? '−' : '+'}${body}`;
}

/** An amount for a table cell: at most 4 decimals (the exact value is in the cell's title). */
function shortAmount(text: string, signed = false): string {
  const n = Number(text);
  if (n === 0) return '0.00';
  const body = Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
  return `${n < 0 ? '−' : signed ? '+' : ''}${body}`;
}

const tone = (text: string): string => (/^-?[0.]*$/.test(text) ? '' : text.startsWith('-') ? ' neg' : ' pos');

function time(ts: number | null): string {
  if (ts === null || !Number.isFinite(ts)) return '—';
  const iso = new Date(ts).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

function delay(ms: number | null): string {
  if (ms === null) return '—';
  const sign = ms < 0 ? '−' : '';
  const a = Math.abs(ms);
  if (a < 1_000) return `${sign}${a} ms`;
  if (a < 120_000) return `${sign}${(a / 1_000).toFixed(1)} s`;
  return `${sign}${(a / 60_000).toFixed(1)} min`;
}

/** Decimals needed to print `n` exactly, up to 8. */
function decimalsOf(n: number): number {
  for (let d = 0; d < 8; d++) if (Math.abs(Math.round(n * 10 ** d) - n * 10 ** d) < 1e-7) return d;
  return 8;
}

const fixed = (n: number | null, decimals: number): string =>
  n === null
    ? '—'
    : n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });

const num = (n: number | null, digits = 8): string =>
  n === null ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits });

/** The attribution as a diverging bar chart: losses to the left in red, gains to the right in green. */
function attributionChart(a: ShadowAttribution, currency: string): string {
  const rows: (AttributionPart | 'total')[] = [...ATTRIBUTION_PARTS, 'total'];
  const values = rows.map((r) => Number(a[r]));
  const max = Math.max(...values.map(Math.abs), 1e-12);
  const width = 560;
  const labelW = 92;
  const valueW = 128;
  const plot = width - labelW - valueW * 2;
  const zero = labelW + valueW + plot / 2;
  const rowH = 26;
  const height = rows.length * rowH + 8;
  const bars = rows
    .map((r, i) => {
      const v = values[i] as number;
      const y = 4 + i * rowH;
      const len = (Math.abs(v) / max) * (plot / 2);
      const x = v < 0 ? zero - len : zero;
      const color = v < 0 ? '#dc2626' : '#16a34a';
      const text = `${shortAmount(a[r], true)} ${currency}`;
      const tx = v < 0 ? zero - len - 6 : zero + len + 6;
      const sep =
        r === 'total'
          ? `<line x1="${labelW}" x2="${width}" y1="${y - 2}" y2="${y - 2}" stroke="#cbd5e1"/>`
          : '';
      return `${sep}<g class="${r === 'total' ? 'attr-total' : ''}"><text class="attr-label" x="0" y="${y + 16}">${esc(PART_LABELS[r])}</text><rect x="${x.toFixed(1)}" y="${y + 4}" width="${Math.max(len, v === 0 ? 0 : 1).toFixed(1)}" height="${rowH - 10}" rx="2" fill="${color}" opacity="${r === 'total' ? 1 : 0.8}"/><text class="attr-value" x="${tx.toFixed(1)}" y="${y + 16}" text-anchor="${v < 0 ? 'end' : 'start'}"><title>${esc(`${a[r]} ${currency}`)}</title>${esc(text)}</text></g>`;
    })
    .join('');
  const axis = `<line x1="${zero}" x2="${zero}" y1="2" y2="${height - 2}" stroke="#94a3b8"/>`;
  return `<div class="attr-wrap"><svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(`Attribution of the P&L difference in ${currency}`)}">${axis}${bars}</svg></div>`;
}

function ordersTable(orders: readonly ShadowOrderReport[]): string {
  if (orders.length === 0) return '<p class="note">No order has settled at both venues yet.</p>';
  const shown = orders.slice(0, MAX_SHADOW_ROWS);
  const symbols = new Set(orders.map((o) => o.instrumentId)).size > 1;
  // One day: times only, the date in the header.
  const days = new Set(shown.map((o) => time(o.tsInit).slice(0, 10)));
  const oneDay = days.size === 1 ? [...days][0] : undefined;
  const when = (ts: number): string => (oneDay === undefined ? time(ts) : time(ts).slice(11));
  // One number of decimals per price column, so prices line up.
  const pxDecimals = (pick: (o: ShadowOrderReport) => number | null): number =>
    Math.max(2, ...shown.map((o) => decimalsOf(pick(o) ?? 0)));
  const simDecimals = pxDecimals((o) => o.simulated.avgPx);
  const realDecimals = pxDecimals((o) => o.real.avgPx);
  const rows = shown
    .map((o) => {
      const s = o.simulated;
      const r = o.real;
      const outcome = `<span class="outcome ${o.outcome}">${esc(OUTCOME_LABELS[o.outcome])}</span>${r.reason ? `<br><span class="sub">${esc(r.reason)}</span>` : ''}`;
      const cells = [
        `<td>${esc(when(o.tsInit))}</td>`,
        `<td>${esc(o.clientOrderId)}</td>`,
        ...(symbols ? [`<td>${esc(o.instrumentId)}</td>`] : []),
        `<td><span class="side ${o.side === 'buy' ? 'buy' : 'sell'}">${esc(o.side)}</span> <span class="sub">${esc(o.type)}</span></td>`,
        `<td>${outcome}</td>`,
        `<td class="num">${esc(num(s.filledQty))} / ${esc(num(r.filledQty))}</td>`,
        `<td class="num">${esc(fixed(s.avgPx, simDecimals))}</td>`,
        `<td class="num">${esc(fixed(r.avgPx, realDecimals))}</td>`,
        `<td class="num">${esc(o.priceDiffBps === null ? '—' : o.priceDiffBps.toFixed(1).replace('-', '−'))}</td>`,
        `<td class="num">${esc(delay(o.delayMs))}</td>`,
        `<td class="num" title="${esc(`${s.fees} / ${r.fees}`)}">${esc(shortAmount(s.fees))} / ${esc(shortAmount(r.fees))}</td>`,
        `<td class="num${tone(o.attribution.total)}" title="${esc(o.attribution.total)}">${esc(shortAmount(o.attribution.total, true))}</td>`,
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('');
  const more =
    orders.length > shown.length
      ? `<p class="note">Showing the first ${shown.length.toLocaleString('en-US')} of ${orders.length.toLocaleString('en-US')} orders.</p>`
      : '';
  const head = [
    `<th>Sent (${esc(oneDay ?? 'UTC')}${oneDay ? ' UTC' : ''})</th>`,
    '<th>Order</th>',
    ...(symbols ? ['<th>Symbol</th>'] : []),
    '<th>Side</th>',
    '<th>Outcome</th>',
    '<th class="num">Qty sim / real</th>',
    '<th class="num">Price sim</th>',
    '<th class="num">Price real</th>',
    '<th class="num" title="How much worse the real average price was, in basis points of the simulated one">Worse, bp</th>',
    '<th class="num" title="First real fill less first simulated fill; negative: live filled first">Delay</th>',
    '<th class="num">Fees sim / real</th>',
    '<th class="num" title="Real P&amp;L less simulated P&amp;L from this order">Difference</th>',
  ];
  return `<div class="scroll"><table class="fills shadow-orders"><thead><tr>${head.join('')}</tr></thead><tbody>${rows}</tbody></table></div>${more}`;
}

/**
 * The report's "Live vs simulated" section: counts by outcome, the P&L difference split by cause (one
 * chart per quote currency) and a row per order. Amounts are the document's exact decimal strings.
 */
export function shadowSection(report: ShadowReport): string {
  const total = report.orders.length;
  const outcomes = (Object.keys(OUTCOME_LABELS) as ShadowOutcome[])
    .map(
      (o) =>
        `<tr><th>${esc(OUTCOME_LABELS[o])}</th><td>${report.outcomes[o].toLocaleString('en-US')}</td></tr>`,
    )
    .join('');
  const pending =
    report.pending > 0
      ? `<tr><th>still working</th><td>${report.pending.toLocaleString('en-US')}</td></tr>`
      : '';
  const charts = Object.entries(report.totals)
    .map(
      ([currency, a]) =>
        `<div><p class="note" style="margin:0 0 4px">Real P&amp;L − simulated P&amp;L, ${esc(currency)}: <strong class="${tone(a.total).trim()}">${esc(amount(a.total))}</strong></p>${attributionChart(a, currency)}</div>`,
    )
    .join('');
  const chartsOrNote = charts === '' ? '<p class="note">Nothing to attribute yet.</p>' : charts;
  return `<section class="card"><div class="card-head"><h2>Live vs simulated <span class="count">${total.toLocaleString('en-US')} orders</span></h2><span class="note" style="margin:0">real ${esc(report.venues.real)} · simulated ${esc(report.venues.simulated)}</span></div>
<p class="note" style="margin:0 0 6px">The same orders on the same bars at the real venue and at a simulated one with the backtest's fill model. Negative amounts are what live trading cost against the simulation. Latency is the market's move between the bar the simulation filled in and the bar the real fill came in; quantity only one venue filled is marked at the last close.</p>
<div class="shadow-grid"><table class="kv"><tbody>${outcomes}${pending}</tbody></table>${chartsOrNote}</div>
${ordersTable(report.orders)}</section>`;
}
