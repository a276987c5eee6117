import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { DiagnosticError } from '../../diagnostics';
import { CHECKPOINT_CONFIG, checkpointAgent } from '../../agent/checkpoints';
import { loadPackage } from '../../plugin/load-package';
import { PluginRegistry, type RegisteredPlugin } from '../../plugin/registry';
import type { ChatMessage, Tokenizer } from '../../contract/agent';

/** The package whose agent plugin loads a bare tokenizer file or a folder no rlhfjs plugin wrote. */
export const DEFAULT_TOKENIZER_PACKAGE = '@rlhfjs/plugin-lm';

/** Whether `dir` is a checkpoint folder whose config.json names the rlhfjs plugin that wrote it. */
function writtenByPlugin(p: string): boolean {
  const file = path.join(p, CHECKPOINT_CONFIG);
  if (!fs.existsSync(file)) return false;
  try {
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as { rlhfjs?: { package?: unknown } };
    return typeof cfg?.rlhfjs?.package === 'string';
  } catch {
    return false; // the plugin's own loader reports a broken config.json if it needs it
  }
}

/**
 * The tokenizer of a checkpoint folder (through the agent plugin its config.json names), or of a
 * tokenizer file / model folder from elsewhere (through the first agent plugin of `pkg` that
 * declares `loadTokenizer`).
 */
export async function loadTokenizerFrom(target: string, opts: { cwd: string; pkg?: string }): Promise<Tokenizer> {
  if (!fs.existsSync(target)) {
    throw new DiagnosticError({ code: 'cli/missing-path', file: target, message: `${target} does not exist`, fix: 'pass a checkpoint or model folder (e.g. recipes/models/base) or a tokenizer.json file' });
  }
  let found: RegisteredPlugin;
  if (fs.statSync(target).isDirectory() && writtenByPlugin(target)) {
    found = await checkpointAgent(target, { searchFrom: [opts.cwd] });
  } else {
    const pkgName = opts.pkg ?? DEFAULT_TOKENIZER_PACKAGE;
    const pkg = await loadPackage(pkgName, opts.cwd);
    const registry = new PluginRegistry().add(pkgName, pkg.exported, { version: pkg.version });
    const loader = registry.all().find((p) => p.def.kind === 'agent' && typeof p.def.loadTokenizer === 'function');
    if (!loader) {
      throw new DiagnosticError({ code: 'agent/no-tokenizer-loading', plugin: pkgName, message: `no agent plugin of ${pkgName} declares loadTokenizer, so it cannot read ${target}`, fix: `pass --package with a plugin package whose agent declares loadTokenizer(fileOrDir) (docs/plugins.md), e.g. ${DEFAULT_TOKENIZER_PACKAGE}` });
    }
    found = loader;
  }
  const { def } = found;
  if (typeof def.loadTokenizer !== 'function') {
    throw new DiagnosticError({
      code: 'agent/no-tokenizer-loading',
      plugin: `agent/${def.name}`,
      file: target,
      message: `${target} was written by the agent plugin "${def.name}" (from ${found.packageName}), which does not declare loadTokenizer`,
      fix: `add loadTokenizer(fileOrDir) to the plugin (docs/plugins.md, "Loading an agent from a checkpoint")`,
    });
  }
  return def.loadTokenizer(target);
}

/** `rlhf tokenize <checkpoint|tokenizer.json> --text "…"`: the token ids (and tokens) of texts, as JSON. */
export function registerTokenize(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'tokenize <path>',
    'print the token ids and tokens of texts under the tokenizer of a checkpoint, model folder or tokenizer.json (JSON, one line per text)',
    (y) =>
      y
        .positional('path', { type: 'string', demandOption: true, describe: 'a checkpoint or model folder, or a tokenizer.json file' })
        .option('text', { alias: 't', type: 'string', array: true, demandOption: true, describe: 'a text (repeatable)' })
        .option('chat', { type: 'boolean', default: false, describe: 'render the text as a user turn of the chat template (with the assistant generation prompt) first' })
        .option('system', { type: 'string', describe: 'with --chat: a system message before the user turn' })
        .option('bos', { type: 'boolean', default: false, describe: 'put the BOS id first when the policy puts one before every prompt' })
        .option('package', { type: 'string', describe: `plugin package that reads a tokenizer file or a folder no rlhfjs plugin wrote (default ${DEFAULT_TOKENIZER_PACKAGE})` }),
    async (a) => {
      if (a.system !== undefined && !a.chat) throw new DiagnosticError({ code: 'cli/usage', message: '--system needs --chat', fix: 'add --chat, or drop --system' });
      const tok = await loadTokenizerFrom(h.abs(a.path as string), { cwd: h.io.cwd, pkg: a.package as string | undefined });
      for (const input of a.text as string[]) {
        let text = input;
        if (a.chat) {
          if (typeof tok.applyChatTemplate !== 'function' || tok.chatTemplate === undefined) {
            throw new DiagnosticError({ code: 'cli/no-chat-template', file: a.path as string, message: `the tokenizer of ${a.path as string} has no chat template`, fix: 'drop --chat, or point at an instruct model (its tokenizer_config.json holds a chat_template)' });
          }
          const messages: ChatMessage[] = [...(a.system !== undefined ? [{ role: 'system', content: a.system as string }] : []), { role: 'user', content: input }];
          text = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
          // as the prompts environment does: with --bos the BOS id comes first, so a BOS the template wrote is left out
          const bosText = a.bos && tok.bosId !== undefined ? tok.idToToken?.(tok.bosId) : undefined;
          if (bosText && text.startsWith(bosText)) text = text.slice(bosText.length);
        }
        const ids = [...(a.bos && tok.bosId !== undefined ? [tok.bosId] : []), ...tok.encode(text)];
        const tokens = ids.map((id) => tok.idToToken?.(id) ?? tok.decode([id]));
        h.out(JSON.stringify(a.chat ? { text, ids, tokens } : { ids, tokens }));
      }
    },
  );
}
