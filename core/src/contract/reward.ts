export interface RewardSample {
  prompt: string;
  completion: string;
  promptId?: string;
}

export interface RewardContext {
  /** Training iteration (0-based), or -1 outside training. */
  step: number;
  /** What produced the completions, for label provenance (checkpoint path or run id). */
  model?: string;
  signal?: AbortSignal;
}

export interface RewardResult {
  /** One scalar per sample: higher is better. */
  scores: number[];
  /** Optional per-sample extras for logs (e.g. the raw probability, the matched word). */
  details?: Record<string, Array<number | string | null>>;
}

/** A reward source: a classifier, a reward model, a person, a user function, an HTTP service. */
export interface RewardSource {
  score(samples: RewardSample[], ctx: RewardContext): Promise<RewardResult>;
  /** Release files, servers and tensors. */
  close?(): Promise<void> | void;
}

/**
 * A scorer used for evaluation (not for training), e.g. a toxicity flag from a lexicon that the
 * training reward never saw. `flags[i]` true means the completion has the property (e.g. toxic).
 */
export interface Scorer {
  readonly name: string;
  score(samples: RewardSample[]): Promise<{ scores: number[]; flags?: boolean[] }>;
}
