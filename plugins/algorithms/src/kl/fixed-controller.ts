import type { KLController } from '@rlhfjs/core';
import type { FixedKLOptions } from './fixed.options';

/** β stays constant (TRL's FixedKLController). */
export class FixedKLController implements KLController {
  private readonly beta: number;

  constructor(options: FixedKLOptions) {
    this.beta = options.beta;
  }
  get value(): number {
    return this.beta;
  }
  update(): void {
    // a fixed coefficient ignores the observed KL
  }
  getState(): { value: number } {
    return { value: this.beta };
  }
  setState(state: { value: number }): void {
    if (state?.value !== this.beta) {
      throw new Error(`fixed KL controller: checkpoint has β = ${String(state?.value)} but the recipe says ${this.beta}`);
    }
  }
}
