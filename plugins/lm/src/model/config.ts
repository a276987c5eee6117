import { DiagnosticError } from '@rlhfjs/core';

/** Architecture of the GPT-style decoder. Stored in a checkpoint's `config.json`. */
export interface GPTConfig {
  vocabSize: number;
  /** Context window (prompt + completion), the number of learned positions. */
  contextSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Hidden width of the MLP (GPT-2 uses 4·dModel). */
  dMlp: number;
  /** Output projection shares the token-embedding matrix. */
  tieEmbeddings: boolean;
  /** A scalar value head on the final hidden state. */
  valueHead: boolean;
  /** Dropout rate. Only 0 is supported: RL needs the same function at sampling and training time. */
  dropout: number;
}

export const MODEL_TYPE = 'rlhfjs-gpt';

/** Check a config; `where` names the file or recipe field for the error. */
export function validateConfig(c: Partial<GPTConfig>, where: { file?: string; pointer?: string; plugin?: string } = {}): GPTConfig {
  const problems: string[] = [];
  const posInt = (k: keyof GPTConfig) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) problems.push(`${k} must be a positive integer (got ${JSON.stringify(v)})`);
  };
  (['vocabSize', 'contextSize', 'dModel', 'nLayers', 'nHeads', 'dMlp'] as const).forEach(posInt);
  if (problems.length === 0 && (c.dModel as number) % (c.nHeads as number) !== 0) {
    problems.push(`dModel (${c.dModel}) must be divisible by nHeads (${c.nHeads})`);
  }
  if ((c.dropout ?? 0) !== 0) problems.push(`dropout must be 0 (got ${c.dropout}); dropout would make sampling and training see different functions`);
  if (problems.length > 0) {
    throw new DiagnosticError(
      problems.map((message) => ({
        code: 'lm/bad-model-config',
        message: `Invalid GPT architecture: ${message}`,
        fix: 'Correct the architecture field named above.',
        ...where,
      })),
    );
  }
  const { vocabSize, contextSize, dModel, nLayers, nHeads, dMlp } = c as GPTConfig;
  return { vocabSize, contextSize, dModel, nLayers, nHeads, dMlp, tieEmbeddings: c.tieEmbeddings ?? true, valueHead: c.valueHead ?? false, dropout: 0 };
}

/** Number of parameters a config implies. */
export function parameterCount(c: GPTConfig): number {
  const d = c.dModel;
  const block = 2 * 2 * d + d * 3 * d + 3 * d + d * d + d + d * c.dMlp + c.dMlp + c.dMlp * d + d;
  return c.vocabSize * d + c.contextSize * d + c.nLayers * block + 2 * d + (c.tieEmbeddings ? 0 : d * c.vocabSize) + (c.valueHead ? d + 1 : 0);
}
