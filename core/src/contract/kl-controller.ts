/** The β schedule for the KL penalty against the reference model. */
export interface KLController {
  /** β for the next iteration. */
  readonly value: number;
  /** Observe the mean KL per completion of a batch of `nSteps` episodes. */
  update(observedKL: number, nSteps: number): void;
  getState(): { value: number } & Record<string, unknown>;
  setState(state: { value: number } & Record<string, unknown>): void;
}
