/** Pieces shared by the native-kernel benchmarks: medians, the PyTorch worker. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export class TorchWorker {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterableIterator<string>;
  /** args: more torch_step.py arguments (--shape gpt2, --threads N) */
  constructor(python: string, args: string[] = []) {
    this.proc = spawn(python, [path.join(__dirname, '..', 'torch_step.py'), '--server', ...args], { stdio: 'pipe' });
    this.proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[torch] ${d.toString()}`));
    this.lines = readline.createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async ask(cmd: string): Promise<{ times?: number[]; loss?: number; ready?: boolean; threads?: number; version?: string }> {
    this.proc.stdin.write(`${cmd}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the PyTorch worker exited');
    return JSON.parse(value as string);
  }
  close(): void {
    this.proc.stdin.end('quit\n');
  }
}

/** The python that has torch, or null with the reason. */
export function findTorch(): { python: string } | { skip: string } {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return { skip: 'PyTorch not found (apt-get install -y python3-torch)' };
}

/** The options every step benchmark takes, plus the boolean flags of one benchmark. */
export type StepOptions<F extends string> = { rounds: number; steps: number; warmup: number; torch: boolean } & Record<F, boolean>;

/**
 * `--rounds N --steps N --warmup N --no-torch`, and each `--<flag>` of `flags` (named in camel case,
 * e.g. allOnly for --all-only), over the given defaults. An unknown argument throws with the list.
 */
export function parseStepArgs<F extends string = never>(argv: string[], defaults: { rounds: number; steps: number; warmup: number }, flags: readonly F[] = []): StepOptions<F> {
  const o = { ...defaults, torch: true, ...Object.fromEntries(flags.map((f) => [f, false])) } as StepOptions<F>;
  const flagOf = new Map(flags.map((f) => [`--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, f]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    const flag = flagOf.get(a);
    if (a === '--rounds') o.rounds = num();
    else if (a === '--steps') o.steps = num();
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--no-torch') o.torch = false;
    else if (flag !== undefined) (o as Record<string, unknown>)[flag] = true;
    else throw new Error(`unknown argument ${a} (known: --rounds N --steps N --warmup N --no-torch${[...flagOf.keys()].map((k) => ` ${k}`).join('')})`);
  }
  return o;
}
