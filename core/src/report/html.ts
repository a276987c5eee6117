import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChartSpec } from './charts';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface ReportInput {
  title: string;
  facts: Array<[string, string]>;
  charts: ChartSpec[];
  /** Tables (e.g. evaluation results): header row + rows. */
  tables: Array<{ title: string; header: string[]; rows: string[][] }>;
  samples: Array<{ step: number; prompt: string; completion: string; score?: number }>;
}

/** A self-contained HTML page: Chart.js inlined, the chart configs as JSON, PNG fallbacks beside. */
export function renderHtml(input: ReportInput): string {
  // the browser build sits beside the CommonJS entry (deep imports are closed by the package's exports map)
  const chartJs = fs.readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
  const charts = input.charts
    .map((c) => `<section><h2>${esc(c.title)}</h2><canvas id="chart-${c.id}" width="900" height="420"></canvas><p class="png"><a href="charts/${c.id}.png">PNG</a></p></section>`)
    .join('\n');
  const tables = input.tables
    .map((t) => `<section><h2>${esc(t.title)}</h2><table><thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></section>`)
    .join('\n');
  const samples = input.samples.length
    ? `<section><h2>Sample completions</h2><table><thead><tr><th>step</th><th>prompt</th><th>completion</th><th>score</th></tr></thead><tbody>${input.samples
        .map((s) => `<tr><td>${s.step}</td><td>${esc(s.prompt)}</td><td><b>${esc(s.completion)}</b></td><td>${s.score === undefined ? '' : s.score.toFixed(3)}</td></tr>`)
        .join('')}</tbody></table></section>`
    : '';
  const configs = JSON.stringify(Object.fromEntries(input.charts.map((c) => [c.id, c.config]))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#222}table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}.png{font-size:.8rem}</style>
</head><body>
<h1>${esc(input.title)}</h1>
<dl>${input.facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
${tables}
${charts}
${samples}
<script>${chartJs}</script>
<script>const configs=${configs};for(const [id,cfg] of Object.entries(configs)){new Chart(document.getElementById('chart-'+id),cfg);}</script>
</body></html>
`;
}
