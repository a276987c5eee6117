import type { OptionsOf } from '@rlhfjs/core';
import { LabelAppender } from '../labels/appender';
import type { Labeller } from './labeller';
import { ReplayLabeller } from './replay';
import { SimulatedLabeller } from './simulated';
import { TerminalLabeller } from './terminal';
import { WebLabeller } from './web/server';
import type { HumanRewardOptions } from './human.options';

/** Who answers (the `labeller` option of the human reward; the label job offers all but replay). */
export type LabellerChoice = HumanRewardOptions['labeller'];

/** The labeller options after validation (derived from {@link labellerOptionProperties}). */
export type LabellerOptions = OptionsOf<{ type: 'object'; additionalProperties: false; required: ['labels']; properties: typeof labellerOptionProperties }>;

/** What {@link createLabeller} needs: the labeller options with `labels` resolved to an absolute path. */
export type LabellerSettings = LabellerOptions & {
  labeller: LabellerChoice;
  pairQuestion?: string;
  /** Where the terminal labeller and the web URL notice are written (default stderr). */
  output?: NodeJS.WritableStream;
  input?: NodeJS.ReadableStream;
};

/** A labeller and the appender it writes through (absent for replay, which only reads). */
export function createLabeller(s: LabellerSettings): { labeller: Labeller; appender?: LabelAppender } {
  const out = (s.output ?? process.stderr) as import('node:stream').Writable;
  if (s.labeller === 'replay') return { labeller: new ReplayLabeller(s.labels) };
  const appender = new LabelAppender(s.labels);
  switch (s.labeller) {
    case 'simulated':
      return { labeller: new SimulatedLabeller(appender, { minRating: s.minRating }), appender };
    case 'terminal':
      return {
        labeller: new TerminalLabeller(appender, {
          input: (s.input ?? process.stdin) as import('node:stream').Readable,
          output: out,
          labellerId: s.labellerId,
          question: s.question,
          pairQuestion: s.pairQuestion,
        }),
        appender,
      };
    case 'web':
      return {
        labeller: new WebLabeller(appender, {
          labellerId: s.labellerId,
          port: s.port,
          question: s.question,
          pairQuestion: s.pairQuestion,
          onUrl: (url) => out.write(`Label in your browser: ${url}\n(answers are saved to ${s.labels})\n`),
        }),
        appender,
      };
  }
}

/** Options shared by the `human` reward and the `label` job. */
export const labellerOptionProperties = {
  labels: {
    type: 'string',
    minLength: 1,
    description: 'The labels file (JSONL, see docs/human-feedback.md), relative to the recipe. Labels are appended to it as they are given; replay reads it.',
  },
  labellerId: {
    type: 'string',
    minLength: 1,
    default: 'human',
    description: 'Name recorded as `labeller.id` in every label a person gives (terminal or web).',
  },
  question: {
    type: 'string',
    minLength: 1,
    description: 'The question shown with each single completion (default: asks whether it is toxic, 1 = yes, 0 = no).',
  },
  port: {
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    default: 0,
    description: 'Port of the web labeller on 127.0.0.1; 0 picks a free one. The URL (with its access token) is printed on stderr.',
  },
  minRating: {
    type: 'integer',
    minimum: 0,
    maximum: 2,
    default: 2,
    description: 'Simulated labeller only: lowest `cuss` rating that makes a completion toxic (label 1).',
  },
} as const;
