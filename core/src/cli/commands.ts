import type { Argv } from 'yargs';
import type { CliIO } from './main';
import { registerReproduce } from './commands/reproduce';
import { registerReport } from './commands/report';
import { registerEval } from './commands/eval';
import { registerGenerate } from './commands/generate';
import { registerTokenize } from './commands/tokenize';
import { registerWorker } from './commands/worker';
import { registerLabelServer } from './commands/label-server';
import { registerLogprobs } from './commands/logprobs';
import { registerMergeLora } from './commands/merge-lora';

export interface CommandHelpers {
  io: CliIO;
  out(s: string): void;
  abs(p: string): string;
  rel(p: string): string;
  argv: string[];
}

/** Further commands (generate, logprobs, tokenize, eval, reproduce, report, worker, label-server, init), each in its own file under commands/. */
export const extraCommands: Array<(cli: Argv, h: CommandHelpers) => void> = [
  registerReproduce,
  registerReport,
  registerEval,
  registerGenerate,
  registerLogprobs,
  registerTokenize,
  registerWorker,
  registerLabelServer,
  registerMergeLora,
  (cli, h) => (require('./commands/init') as typeof import('./commands/init')).registerInit(cli, h),
];
