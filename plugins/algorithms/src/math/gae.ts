/**
 * Generalised advantage estimation over one completion (Schulman et al. 2016):
 * δ_t = r_t + γ·V_{t+1} − V_t, A_t = δ_t + γλ·A_{t+1}, returns_t = A_t + V_t,
 * with V_{T+1} = 0 after the last token (the episode ends there).
 */
export function gae(rewards: readonly number[], values: readonly number[], gamma: number, lambda: number): { advantages: number[]; returns: number[] } {
  const T = rewards.length;
  if (values.length !== T) throw new Error(`gae: ${T} rewards but ${values.length} values`);
  const advantages = new Array<number>(T);
  let next = 0;
  let lastGae = 0;
  for (let t = T - 1; t >= 0; t--) {
    const delta = rewards[t] + gamma * next - values[t];
    lastGae = delta + gamma * lambda * lastGae;
    advantages[t] = lastGae;
    next = values[t];
  }
  const returns = advantages.map((a, t) => a + values[t]);
  return { advantages, returns };
}

/** {@link gae} for every completion of a batch. */
export function gaeRows(rewards: readonly number[][], values: readonly number[][], gamma: number, lambda: number): { advantages: number[][]; returns: number[][] } {
  const advantages: number[][] = [];
  const returns: number[][] = [];
  rewards.forEach((r, i) => {
    const out = gae(r, values[i], gamma, lambda);
    advantages.push(out.advantages);
    returns.push(out.returns);
  });
  return { advantages, returns };
}
