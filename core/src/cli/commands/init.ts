import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { SCAFFOLD_KINDS, scaffoldPlugin } from '../scaffold';

/** `rlhf init plugin <name> [--kind reward] [--dir .]`: a plugin package that builds and passes its tests as written. */
export function registerInit(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'init <what> <name>',
    'scaffold a plugin package: rlhf init plugin <name> [--kind reward] [--dir .]',
    (y) =>
      y
        .positional('what', { choices: ['plugin'], describe: 'what to create' })
        .positional('name', { type: 'string', demandOption: true, describe: 'plugin name (the package becomes rlhf-plugin-<name>; @scope/<name> for a scoped one)' })
        .option('kind', { choices: SCAFFOLD_KINDS, default: 'reward', describe: 'the plugin kind to implement' })
        .option('dir', { type: 'string', default: '.', describe: 'parent folder of the new package' }),
    (a) => {
      const res = scaffoldPlugin({ name: a.name as string, kind: a.kind as string, dir: h.abs(a.dir as string) });
      const at = h.rel(res.dir);
      h.out(`created ${res.packageName} (${a.kind as string} plugin "${res.pluginName}") in ${at}:`);
      for (const f of res.files) h.out(`  ${f}`);
      h.out(`\nnext:\n  cd ${at}\n  npm install\n  npm test                       # builds, runs the conformance kit and the behaviour tests\n  npx rlhf plugins --plugin .    # the plugin and its options, as a recipe sees them\n  npm pack                       # the tarball npm publish would upload`);
    },
  );
}
