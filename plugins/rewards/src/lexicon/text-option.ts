/** The `text` option of the lexicon scorers: which text a matcher checks. */
export const textOption = {
  type: 'string',
  enum: ['completion', 'prompt-and-completion'],
  default: 'completion',
  description: 'Which text is checked: the generated completion only (what the policy is responsible for), or the prompt followed by the completion.',
} as const;

export type TextChoice = (typeof textOption.enum)[number];
