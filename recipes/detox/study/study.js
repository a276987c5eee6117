#!/usr/bin/env node
// The detox algorithm study: trains each recipe of this folder with each seed, evaluates every run
// on the held-out prompts (`rlhf eval`, one fixed sampling seed, so all runs share their base
// completions), and writes one table (study.md + study.json) and one chart (study.png) to --out:
// the relative drop of toxic completions by `obscenity` and `cuss` with 95% intervals, against KL to
// the base, the change in perplexity and the training wall time, per run and per algorithm (mean
// over seeds with a Student t interval). Finished runs (eval.json present) are read, not redone, so
// a stopped study continues. Usage: see `node recipes/detox/study/study.js --help`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { spawn } = require('node:child_process');

const REPO = path.resolve(__dirname, '../../..');
const HERE = path.relative(REPO, __dirname);
const ALGORITHMS = ['ppo', 'ppo-ptx', 'rloo', 'grpo-dapo', 'gspo', 'reinforce-pp'];
const SCORERS = ['obscenity-toxicity', 'cuss-toxicity'];
const TARGET = { drop: 0.7, kl: 3, perplexity: 0.1 };

function parseArgs(argv) {
  const o = { algorithms: ALGORITHMS, seeds: [1, 2, 3], prompts: 3000, evalSeed: 1, batch: 64, set: [], out: path.join(REPO, 'runs/detox/study'), chartOnly: false, control: false, jobs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--algorithms') o.algorithms = next().split(',');
    else if (a === '--seeds') o.seeds = next().split(',').map(Number);
    else if (a === '--prompts') o.prompts = Number(next());
    else if (a === '--eval-seed') o.evalSeed = Number(next());
    else if (a === '--batch') o.batch = Number(next());
    else if (a === '--set') o.set.push(next());
    else if (a === '--jobs') o.jobs = Number(next());
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--report-only') o.chartOnly = true;
    else if (a === '--control') o.control = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: node ${HERE}/study.js [--algorithms ${ALGORITHMS.join(',')}] [--seeds 1,2,3] [--prompts 3000]
       [--eval-seed 1] [--batch 64] [--set key=value]... [--out runs/detox/study] [--report-only] [--control] [--jobs 1]
Needs runs/detox/{train-prompts.jsonl,eval-prompts.jsonl,reward-model} (bash recipes/detox/run.sh makes them);
makes runs/detox/ptx-*.jsonl with recipes/detox/7-ptx-corpus.yaml when ppo-ptx runs. --set goes to every rlhf train
(e.g. --set runtime.steps=2 for a smoke run); --report-only rewrites the table and chart from finished runs;
--control adds, for every algorithm and seed, the same run with the reward shuffled within each batch (<algorithm>-control):
the drop it shows comes from the KL budget (and the ptx corpus), not from the reward.
--jobs N runs N trainings at once, each with runtime.threads = cores / N (the numbers do not depend on the thread
count) and its output in <out>/<run>.log; on a small machine, generation's many small steps keep one run from
using every core, so 2 jobs on 2 cores finish the study sooner than 1.
`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (--help lists them)`);
  }
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error(`--jobs must be a whole number ≥ 1, got ${o.jobs}`);
  for (const a of o.algorithms) if (!ALGORITHMS.includes(a)) throw new Error(`unknown algorithm ${a}; the study's are ${ALGORITHMS.join(', ')}`);
  return o;
}

/** Runs the CLI; with a log file its output goes there (parallel runs), else to this terminal. */
function rlhf(args, log) {
  const t0 = Date.now();
  process.stdout.write(`$ rlhf ${args.join(' ')}${log ? `   (output: ${path.relative(REPO, log)})` : ''}\n`);
  return new Promise((resolve, reject) => {
    const fd = log ? fs.openSync(log, 'a') : null;
    const child = spawn(process.execPath, [path.join(REPO, 'core/bin/rlhf.js'), ...args], { cwd: REPO, stdio: fd === null ? 'inherit' : ['ignore', fd, fd] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (fd !== null) fs.closeSync(fd);
      if (code === 0) resolve((Date.now() - t0) / 1000);
      else reject(new Error(`rlhf ${args[0]} failed (${signal ? `signal ${signal}` : `exit code ${code}`})${log ? `; see ${path.relative(REPO, log)}` : ''}`));
    });
  });
}

async function runOne(o, algorithm, seed, control = false) {
  const label = control ? `${algorithm}-control` : algorithm;
  const dir = path.join(o.out, `${label}-s${seed}`);
  const evalFile = path.join(dir, 'eval.json');
  const timeFile = path.join(dir, 'study-time.json');
  const log = o.jobs > 1 ? path.join(o.out, `${label}-s${seed}.log`) : undefined;
  if (!fs.existsSync(evalFile)) {
    if (o.chartOnly) return null;
    if (!fs.existsSync(path.join(dir, 'summary.json'))) {
      if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true }); // a run stopped half-way starts over
      const threads = o.jobs > 1 ? [`runtime.threads=${Math.max(1, Math.floor(os.cpus().length / o.jobs))}`] : [];
      const sets = [`runtime.seed=${seed}`, ...(control ? ['rewardProcessing.shuffle=true'] : []), ...threads, ...o.set].flatMap((s) => ['--set', s]);
      const wall = await rlhf(['train', path.join(HERE, `${algorithm}.yaml`), '--out', dir, ...sets], log);
      fs.writeFileSync(timeFile, JSON.stringify({ trainWallSeconds: wall, jobs: o.jobs }) + '\n');
    }
    await rlhf(['eval', dir, '--prompts', String(o.prompts), '--seed', String(o.evalSeed), '--batch', String(o.batch)], log);
  }
  return readRun(dir, label, seed);
}

/** Runs the tasks o.jobs at a time, in order; the results keep the tasks' order. */
async function pool(tasks, jobs) {
  const results = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, lane));
  return results;
}

function readRun(dir, algorithm, seed) {
  const { rateDropInterval } = require(path.join(REPO, 'core'));
  const ev = JSON.parse(fs.readFileSync(path.join(dir, 'eval.json'), 'utf8'));
  const base = ev.results.find((r) => r.model === 'base');
  const final = ev.results.find((r) => r.model === 'final');
  const metrics = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const stepSeconds = metrics.reduce((a, m) => a + (typeof m['perf/step_s'] === 'number' ? m['perf/step_s'] : 0), 0);
  const time = fs.existsSync(path.join(dir, 'study-time.json')) ? JSON.parse(fs.readFileSync(path.join(dir, 'study-time.json'), 'utf8')) : {};
  const scorers = {};
  for (const s of SCORERS) {
    const b = base.scorers[s];
    const f = final.scorers[s];
    if (!b || !f || b.flagged === undefined) continue;
    scorers[s] = { base: { flagged: b.flagged, rate: b.rate }, final: { flagged: f.flagged, rate: f.rate, ciLow: f.ciLow, ciHigh: f.ciHigh }, ...rateDropInterval(b.flagged, base.prompts, f.flagged, final.prompts) };
  }
  const perplexityChange = (final.perplexity - base.perplexity) / base.perplexity;
  // completions sampled in training: prompts × samples per iteration, plus what dynamic sampling drew again
  const algo = JSON.parse(fs.readFileSync(path.join(dir, 'recipe.resolved.json'), 'utf8')).algorithm.options;
  const perPrompt = algo.samplesPerPrompt ?? 1;
  const completions = metrics.reduce((a, m) => a + (algo.promptsPerIteration ?? 0) * perPrompt + (m['sampling/resampled_prompts'] ?? 0) * perPrompt, 0);
  const row = { algorithm, seed, run: path.relative(REPO, dir), prompts: final.prompts, steps: metrics.length, scorers, kl: final.klToBase, perplexity: { base: base.perplexity, final: final.perplexity, change: perplexityChange }, trainWallSeconds: time.trainWallSeconds ?? null, jobs: time.jobs ?? 1, stepSeconds, completions };
  row.meetsTarget = !!scorers['obscenity-toxicity'] && scorers['obscenity-toxicity'].drop >= TARGET.drop && row.kl <= TARGET.kl && perplexityChange <= TARGET.perplexity;
  return row;
}

function summarise(rows) {
  const { meanInterval } = require(path.join(REPO, 'core'));
  const out = [];
  for (const algorithm of [...new Set(rows.map((r) => r.algorithm))]) {
    const rs = rows.filter((r) => r.algorithm === algorithm);
    const s = { algorithm, seeds: rs.map((r) => r.seed), kl: meanInterval(rs.map((r) => r.kl)), perplexityChange: meanInterval(rs.map((r) => r.perplexity.change)), stepSeconds: meanInterval(rs.map((r) => r.stepSeconds)), completions: meanInterval(rs.map((r) => r.completions)), drop: {} };
    for (const sc of SCORERS) if (rs.every((r) => r.scorers[sc])) s.drop[sc] = meanInterval(rs.map((r) => r.scorers[sc].drop));
    s.seedsMeetingTarget = rs.filter((r) => r.meetsTarget).length;
    s.meetsTarget = s.seedsMeetingTarget === rs.length;
    out.push(s);
  }
  return out;
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;
const pm = (m, f) => (Number.isNaN(m.half) ? f(m.mean) : `${f(m.mean)} ± ${f(m.half).replace(/^[+−]/, '')}`);

function markdown(rows, summary, o) {
  const lines = [];
  lines.push(`# Detox algorithm study`, '');
  lines.push(`${rows.length} runs; evaluation on ${rows[0]?.prompts ?? 0} held-out prompts (sampling seed ${o.evalSeed}); target: obscenity drop ≥ ${pct(TARGET.drop)} at KL ≤ ${TARGET.kl} nats and perplexity ≤ +${pct(TARGET.perplexity)}.`);
  if (o.set.length) lines.push('', `Overrides: ${o.set.map((s) => `\`${s}\``).join(', ')}.`);
  lines.push('', '## Per algorithm (mean over seeds ± 95% t interval)', '');
  lines.push('| algorithm | seeds | obscenity drop | cuss drop | KL to base (nats) | perplexity change | completions sampled | time per step (s) | seeds meeting the target |', '|---|---|---|---|---|---|---|---|---|');
  for (const s of summary) {
    const d = (sc) => (s.drop[sc] ? pm(s.drop[sc], pct) : '');
    lines.push(`| ${s.algorithm} | ${s.seeds.length} | ${d('obscenity-toxicity')} | ${d('cuss-toxicity')} | ${pm(s.kl, (x) => x.toFixed(2))} | ${pm(s.perplexityChange, signed)} | ${Math.round(s.completions.mean)} | ${pm(s.stepSeconds, (x) => (x / Math.max(1, rows.find((r) => r.algorithm === s.algorithm).steps)).toFixed(2))} | ${s.seedsMeetingTarget} of ${s.seeds.length} |`);
  }
  const parallel = Math.max(...rows.map((r) => r.jobs));
  if (parallel > 1) lines.push('', `Times were taken with up to ${parallel} runs at once (\`--jobs ${parallel}\`, one thread each): compare them with each other, not with a run alone.`);
  lines.push('', '## Per run (drops with 95% Katz intervals; rates with Wilson intervals)', '');
  lines.push('| run | obscenity: base → trained | drop [95% CI] | cuss: base → trained | drop [95% CI] | KL | perplexity | training wall (s) |', '|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const cell = (sc) => {
      const v = r.scorers[sc];
      return v ? [`${pct(v.base.rate)} → ${pct(v.final.rate)} [${pct(v.final.ciLow)}, ${pct(v.final.ciHigh)}]`, `${pct(v.drop)} [${pct(v.low)}, ${pct(v.high)}]`] : ['', ''];
    };
    lines.push(`| ${r.algorithm} s${r.seed} | ${cell('obscenity-toxicity').join(' | ')} | ${cell('cuss-toxicity').join(' | ')} | ${r.kl.toFixed(2)} | ${r.perplexity.base.toFixed(1)} → ${r.perplexity.final.toFixed(1)} (${signed(r.perplexity.change)}) | ${r.trainWallSeconds === null ? '' : r.trainWallSeconds.toFixed(0)} |`);
  }
  return lines.join('\n') + '\n';
}

const colorOf = (algorithm) => COLORS[algorithm.replace(/-control$/, '')] ?? '#7f7f7f';
const COLORS = { ppo: '#1f77b4', 'ppo-ptx': '#d62728', rloo: '#2ca02c', 'grpo-dapo': '#ff7f0e', gspo: '#9467bd', 'reinforce-pp': '#8c564b' };

/** One scatter panel: each run a point per scorer (circle: obscenity, triangle: cuss) with its interval as a vertical bar. */
function panel(rows, x, title, xLabel) {
  const datasets = [];
  for (const algorithm of [...new Set(rows.map((r) => r.algorithm))]) {
    const color = colorOf(algorithm);
    const rs = rows.filter((r) => r.algorithm === algorithm);
    SCORERS.forEach((sc, k) => {
      const pts = rs.filter((r) => r.scorers[sc]).map((r) => ({ x: x(r), y: r.scorers[sc].drop * 100 }));
      datasets.push({ type: 'scatter', label: `${algorithm} (${sc.replace('-toxicity', '')})`, data: pts, backgroundColor: k ? '#ffffff' : color, borderColor: color, pointStyle: k ? 'triangle' : 'circle', pointRadius: 5 });
      for (const r of rs.filter((q) => q.scorers[sc])) datasets.push({ type: 'line', label: '', data: [{ x: x(r), y: r.scorers[sc].low * 100 }, { x: x(r), y: r.scorers[sc].high * 100 }], borderColor: color, borderWidth: 1, pointRadius: 0, borderDash: k ? [3, 3] : [] });
    });
  }
  // the y axis runs from the lowest interval (rounded down to 10, at most −100 below zero) to 100 (a drop cannot pass 100%)
  const lows = rows.flatMap((r) => SCORERS.filter((sc) => r.scorers[sc]).map((sc) => r.scorers[sc].low * 100));
  const yMin = Math.max(-100, Math.min(0, Math.floor(Math.min(...lows) / 10) * 10));
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      responsive: false,
      animation: false,
      parsing: false,
      plugins: { title: { display: true, text: title }, legend: { position: 'bottom', labels: { filter: (item) => item.text !== '', boxWidth: 10, font: { size: 10 } } } },
      scales: { x: { type: 'linear', title: { display: true, text: xLabel } }, y: { type: 'linear', min: yMin, max: 100, title: { display: true, text: `toxic completions: relative drop (%)${yMin === -100 ? ', intervals cut at −100' : ''}` } } },
    },
  };
}

async function chart(rows, file) {
  const { createCanvas } = require('@napi-rs/canvas');
  const { Chart, registerables } = require('chart.js');
  Chart.register(...registerables);
  const W = 640;
  const H = 520;
  const canvas = createCanvas(3 * W, H);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, 3 * W, H);
  const panels = [
    panel(rows, (r) => r.kl, 'Drop against KL to the base (target: ≥ 70% at ≤ 3 nats)', 'KL to base (nats per completion)'),
    panel(rows, (r) => r.perplexity.change * 100, 'Drop against perplexity change (target: ≤ +10%)', 'held-out perplexity change (%)'),
    panel(rows, (r) => (r.trainWallSeconds ?? r.stepSeconds), 'Drop against training wall time', 'training wall time (s)'),
  ];
  panels.forEach((config, i) => {
    const c = createCanvas(W, H);
    const chartObj = new Chart(c.getContext('2d'), config);
    ctx.drawImage(c, i * W, 0);
    chartObj.destroy();
  });
  fs.writeFileSync(file, canvas.toBuffer('image/png'));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const need = ['runs/detox/train-prompts.jsonl', 'runs/detox/eval-prompts.jsonl', 'runs/detox/reward-model'].filter((f) => !fs.existsSync(path.join(REPO, f)));
  if (need.length && !o.chartOnly) throw new Error(`missing ${need.join(', ')}: run the detox pipeline first (bash recipes/detox/run.sh)`);
  if (o.algorithms.includes('ppo-ptx') && !o.chartOnly && !fs.existsSync(path.join(REPO, 'runs/detox/ptx-train.jsonl'))) {
    await rlhf(['train', path.join(path.dirname(HERE), '7-ptx-corpus.yaml'), '--out', path.join(REPO, 'runs/detox/steps/7-ptx-corpus')]);
  }
  fs.mkdirSync(o.out, { recursive: true });
  const tasks = [];
  for (const seed of o.seeds) for (const a of o.algorithms) {
    for (const control of o.control ? [false, true] : [false]) tasks.push(() => runOne(o, a, seed, control));
  }
  const rows = (await pool(tasks, o.jobs)).filter(Boolean);
  if (!rows.length) throw new Error(`no finished runs under ${o.out}`);
  const order = (r) => o.algorithms.indexOf(r.algorithm.replace(/-control$/, '')) * 2 + (r.algorithm.endsWith('-control') ? 1 : 0);
  rows.sort((a, b) => order(a) - order(b) || a.seed - b.seed);
  const summary = summarise(rows);
  fs.writeFileSync(path.join(o.out, 'study.json'), JSON.stringify({ target: TARGET, evalSeed: o.evalSeed, overrides: o.set, runs: rows, algorithms: summary }, null, 2) + '\n');
  fs.writeFileSync(path.join(o.out, 'study.md'), markdown(rows, summary, o));
  await chart(rows, path.join(o.out, 'study.png'));
  process.stdout.write(`\n${markdown(rows, summary, o)}\nwrote ${path.relative(REPO, path.join(o.out, 'study.md'))}, study.json and study.png\n`);
  process.stdout.write(`compare the runs: rlhf report ${rows.map((r) => r.run).join(' ')} --smooth 0.9\n`);
}

main().catch((e) => {
  process.stderr.write(`study: ${e.message}\n`);
  process.exit(1);
});
