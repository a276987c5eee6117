/**
 * The recipe slots every online algorithm needs: a policy to sample (agent), prompts
 * (environment), scores for the samples (rewards) and β for the KL penalty (klController).
 * Declared as each plugin's `requires`, so `rlhf validate` names a missing one.
 */
export const ONLINE_REQUIRES = ['agent', 'environment', 'rewards', 'klController'] as const;
