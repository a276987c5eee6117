/**
 * The GPT decoder's shape, as recipe options: one declaration for the gpt agent's `init` (a randomly
 * initialised policy) and the pretrain job's `model`. Each may override a default (pretrain builds
 * deeper models by default).
 */
export const gptArchitectureProperties = {
  contextSize: { type: 'integer', minimum: 8, default: 64, description: 'Context window in tokens (prompt + completion); pretraining rows have this length.' },
  dModel: { type: 'integer', minimum: 8, default: 128, description: 'Width of the residual stream.' },
  nLayers: { type: 'integer', minimum: 1, default: 2, description: 'Number of transformer blocks.' },
  nHeads: { type: 'integer', minimum: 1, default: 4, description: 'Attention heads per block (must divide dModel).' },
  dMlp: { type: 'integer', minimum: 8, default: 512, description: "Hidden width of each block's MLP (GPT-2 uses 4·dModel)." },
  tieEmbeddings: { type: 'boolean', default: true, description: 'Share the token-embedding matrix with the output projection (fewer parameters, smaller checkpoint).' },
} as const;
