import * as path from 'node:path';
import { definePlugin, DiagnosticError, Tokens, type Metrics } from '@rlhfjs/core';
import { EventFileWriter } from './event-file';

const NAME = 'logger/tensorboard';

/**
 * Metrics as TensorBoard event files: one scalar per metric and step, in a folder that
 * `tensorboard --logdir <run dir>/tensorboard` opens. A resumed run starts a new file in the same
 * folder (TensorBoard merges the files of a folder) that begins with a restart marker at the
 * resumed step, so the steps logged after the last checkpoint of the interrupted run are dropped.
 */
export const tensorboardLogger = definePlugin({
  kind: 'logger',
  name: 'tensorboard',
  description: 'Write metrics as TensorBoard event files (open with `tensorboard --logdir <run dir>/tensorboard`).',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      dir: {
        type: 'string',
        minLength: 1,
        default: 'tensorboard',
        description: 'Folder for the event files; a relative path is taken from the run directory.',
      },
      events: {
        type: 'boolean',
        default: true,
        description: "Also write the run's events (checkpoint written, failure) as text, shown in TensorBoard's Text tab.",
      },
    },
  } as const,
  create({ options, container, pointer }) {
    let writer: EventFileWriter | undefined;
    let lastStep = 0;

    const open = (runDir: string): EventFileWriter => {
      const dir = path.resolve(runDir, options.dir);
      try {
        return new EventFileWriter(dir);
      } catch (err) {
        throw new DiagnosticError(
          {
            code: 'tensorboard/cannot-write',
            plugin: NAME,
            pointer: `${pointer}/options/dir`,
            message: `cannot create a TensorBoard event file in ${dir}: ${(err as Error).message}`,
            fix: 'Point `dir` at a folder that can be created and written, or leave it out to use `tensorboard` inside the run directory.',
          },
          { cause: err },
        );
      }
    };
    // a job calls start() first; should one not, the run directory comes from the container
    const current = (): EventFileWriter => (writer ??= open(container.resolve(Tokens.RunDir).path));

    return {
      start({ runDir, startStep }) {
        writer?.close();
        writer = open(runDir);
        lastStep = startStep;
        if (startStep > 0) writer.writeSessionStart(startStep);
      },
      log(step: number, metrics: Metrics) {
        current().writeScalars(step, metrics);
        lastStep = step;
      },
      event(name: string, data: Record<string, unknown>) {
        if (!options.events) return;
        // shown at the step last logged (the step the event follows)
        current().writeText(lastStep, `events/${name}`, asMarkdown(data));
      },
      close() {
        writer?.close();
        writer = undefined;
      },
    };
  },
});

/** The event's data as an indented (Markdown) code block, so TensorBoard shows it verbatim. */
function asMarkdown(data: Record<string, unknown>): string {
  let json: string;
  try {
    json = JSON.stringify(data, null, 2) ?? String(data);
  } catch {
    json = String(data);
  }
  return json
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
