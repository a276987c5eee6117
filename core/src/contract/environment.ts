import type { Rng } from '../runtime/rng';

export interface Prompt {
  /** Stable id (file:line or a hash) so labels and evaluations can point back at it. */
  id: string;
  text: string;
}

/** The seed's environment: where the context window's contents come from. */
export interface Environment {
  /** Training prompts available. */
  readonly size: number;
  /** The next `n` training prompts, in seeded order; wraps into a new epoch with a new shuffle. */
  nextBatch(n: number, rng: Rng): Prompt[];
  /** Held-out prompts for evaluation, in a fixed order. */
  heldOut(limit?: number): Prompt[];
  /** Data position, stored in checkpoints so a resumed run sees the same prompts. */
  getState(): unknown;
  setState(state: unknown): void;
}
