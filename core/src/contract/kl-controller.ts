/** The β schedule for the KL penalty against the reference model. */
export interface KLController {
  /** β for the next iteration. */
  readonly value: number;
  /**
   * Called by the `rl` job once per iteration, after the algorithm's update: `observedKL` is that
   * update's `UpdateResult.kl` (for the built-in algorithms: the mean over completions of
   * Σ_t (log π_old − log π_ref), in nats, under the policy that generated the batch), and `nSamples`
   * the number of completions in the batch (promptsPerIteration × samplesPerPrompt). `value` read
   * afterwards is β for the next iteration. Offline algorithms (DPO) never call it.
   */
  update(observedKL: number, nSamples: number): void;
  getState(): { value: number } & Record<string, unknown>;
  setState(state: { value: number } & Record<string, unknown>): void;
}
