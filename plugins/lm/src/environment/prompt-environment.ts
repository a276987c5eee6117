import { DiagnosticError, type Environment, type Prompt, type Rng } from '@rlhfjs/core';
import { hash32 } from '../corpus/hash';

export interface PromptEnvironmentState {
  version: 1;
  /** Completed passes over the training prompts. */
  epoch: number;
  /** Next index into `order`. */
  position: number;
  /** This epoch's permutation of the training prompts (empty before the first batch). */
  order: number[];
  /** Hash of the training prompts, to notice a changed prompt file on resume. */
  fingerprint: number;
}

function fingerprintOf(prompts: readonly Prompt[]): number {
  let h = prompts.length;
  for (const p of prompts) h = hash32(`${h}\u0000${p.id}\u0000${p.text}`);
  return h;
}

/**
 * Training prompts served in a seeded order that reshuffles every epoch, and a fixed list of
 * held-out prompts. The order and position are the whole state: a run resumed with
 * {@link setState} (and the same rng state) sees exactly the prompts the original run would have.
 */
export class PromptEnvironment implements Environment {
  private readonly train: readonly Prompt[];
  private readonly held: readonly Prompt[];
  private readonly fingerprint: number;
  private epoch = 0;
  private position = 0;
  private order: number[] = [];
  private readonly label: string;

  constructor(train: readonly Prompt[], heldOut: readonly Prompt[], opts: { label?: string } = {}) {
    this.label = opts.label ?? 'environment/prompts';
    if (train.length === 0) {
      throw new DiagnosticError({ code: 'environment/no-prompts', message: 'the environment has no training prompts', plugin: this.label, fix: 'Give it a prompt file with at least one line, or lower heldOutFraction.' });
    }
    this.train = train;
    this.held = heldOut;
    this.fingerprint = fingerprintOf(train);
  }

  get size(): number {
    return this.train.length;
  }

  /** The current epoch (completed passes). */
  get epochs(): number {
    return this.epoch;
  }

  nextBatch(n: number, rng: Rng): Prompt[] {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`nextBatch: n must be a positive integer, got ${n}`);
    const out: Prompt[] = [];
    while (out.length < n) {
      if (this.order.length === 0 || this.position >= this.order.length) {
        if (this.order.length > 0) this.epoch += 1;
        this.order = rng.shuffle(Array.from({ length: this.train.length }, (_, i) => i));
        this.position = 0;
      }
      out.push(this.train[this.order[this.position]]);
      this.position += 1;
    }
    return out;
  }

  heldOut(limit?: number): Prompt[] {
    return limit === undefined ? [...this.held] : this.held.slice(0, Math.max(0, limit));
  }

  /** All training prompts in their stored order (not the sampling order). */
  trainPrompts(): Prompt[] {
    return [...this.train];
  }

  getState(): PromptEnvironmentState {
    return { version: 1, epoch: this.epoch, position: this.position, order: [...this.order], fingerprint: this.fingerprint };
  }

  setState(state: unknown): void {
    const s = state as Partial<PromptEnvironmentState> | null;
    const bad = (why: string): DiagnosticError =>
      new DiagnosticError({ code: 'environment/bad-state', message: `cannot resume the prompt environment: ${why}`, plugin: this.label, fix: 'Resume with the same prompt files and options as the run that wrote the checkpoint.' });
    if (typeof s !== 'object' || s === null || s.version !== 1) throw bad('the saved state is not a prompt-environment state (version 1)');
    if (!Array.isArray(s.order) || typeof s.position !== 'number' || typeof s.epoch !== 'number') throw bad('the saved state lacks order, position or epoch');
    if (s.fingerprint !== this.fingerprint) {
      throw bad(`the training prompts differ from the ones the checkpoint was written with (${this.train.length} prompts now)`);
    }
    const n = this.train.length;
    if (s.order.length !== 0 && s.order.length !== n) throw bad(`the saved order covers ${s.order.length} prompts, the environment has ${n}`);
    const seen = new Uint8Array(n);
    for (const i of s.order) {
      if (!Number.isInteger(i) || i < 0 || i >= n || seen[i]) throw bad('the saved order is not a permutation of the prompts');
      seen[i] = 1;
    }
    if (s.position < 0 || s.position > s.order.length) throw bad(`position ${s.position} is outside the saved order`);
    this.order = [...s.order];
    this.position = s.position;
    this.epoch = s.epoch;
  }
}
