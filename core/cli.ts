import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { errorMessage, isSpoolError } from './errors.js';
import { Spool, loadPluginList, type SpoolOptions } from './kernel.js';
import { BUILTIN_PLUGINS_DIR, DEFAULT_PLUGINS_FILE } from './paths.js';

const USAGE: Record<string, string> = {
  main: `Usage: spool <command> [options]

Commands:
  start     start the server
  plugins   list plugins: enabled, dependencies, where each is loaded from
  config    print the effective configuration (secrets redacted)

Run "spool <command> --help" for a command's options.`,
  start: `Usage: spool start [--config FILE.json] [--properties FILE] [--plugins FILE] [--set key=value]...

Starts Spool. Configuration sources, later wins: schema defaults, config/default.json,
--config files, --properties files (flashphoner.properties syntax), SPOOL_* environment
variables, --set. SIGINT/SIGTERM stop gracefully; a second signal exits at once.

Options:
  --config FILE       JSON config file (repeatable)
  --properties FILE   flashphoner.properties file (repeatable)
  --plugins FILE      plugins.json to use instead of the package's
  --set key=value     set one setting, e.g. --set http.port=8082 (repeatable)
  -h, --help          this help`,
  plugins: `Usage: spool plugins [--plugins FILE]

Lists the plugins of plugins.json in order: enabled or not, what each depends on, and the
module it is loaded from. Disabled plugins are not loaded.`,
  config: `Usage: spool config [--config FILE.json] [--properties FILE] [--plugins FILE] [--set key=value]...

Prints the effective configuration as JSON, secrets redacted, after every source is applied.
Warnings about the sources go to stderr.`,
};

const OPTIONS = {
  config: { type: 'string', multiple: true },
  properties: { type: 'string', multiple: true },
  plugins: { type: 'string' },
  set: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

type Out = { stdout: (text: string) => void; stderr: (text: string) => void };
const defaultOut: Out = {
  stdout: (text) => process.stdout.write(text + '\n'),
  stderr: (text) => process.stderr.write(text + '\n'),
};

/** Runs the CLI; resolves with the exit code (start resolves only once the server has stopped). */
export async function runCli(argv: readonly string[], out: Out = defaultOut): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out.stdout(USAGE.main!);
    return command === undefined ? 1 : 0;
  }
  if (USAGE[command] === undefined || command === 'main') {
    out.stderr(`spool: unknown command "${command}"\n\n${USAGE.main}`);
    return 1;
  }
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; args: string[] }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...rest], options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    out.stderr(`spool ${command}: ${errorMessage(error)}\n\n${USAGE[command]}`);
    return 1;
  }
  if (values.help === true) {
    out.stdout(USAGE[command]!);
    return 0;
  }
  const options: SpoolOptions = {
    pluginsFile: resolve(values.plugins ?? DEFAULT_PLUGINS_FILE),
    configFiles: (values.config ?? []).map((file) => resolve(file)),
    propertiesFiles: (values.properties ?? []).map((file) => resolve(file)),
    sets: values.set ?? [],
    env: process.env,
  };
  try {
    switch (command) {
      case 'plugins':
        return await listPlugins(options.pluginsFile!, out);
      case 'config':
        return await printConfig(options, out);
      default:
        return await startServer(options, out);
    }
  } catch (error) {
    out.stderr(`spool: ${isSpoolError(error) ? `${error.code}: ` : ''}${errorMessage(error)}`);
    return 1;
  }
}

async function listPlugins(pluginsFile: string, out: Out): Promise<number> {
  const listing = await loadPluginList(pluginsFile, BUILTIN_PLUGINS_DIR);
  out.stdout(`plugins from ${pluginsFile}`);
  const rows = listing.map(({ entry, loaded }) => [
    entry.name,
    entry.enabled ? 'enabled' : 'disabled',
    loaded === undefined ? '-' : (loaded.definition.dependsOn ?? []).join(',') || '-',
    loaded?.location ??
      (entry.module === undefined ? 'built-in (not loaded)' : `${entry.module} (not loaded)`),
  ]);
  const header = ['NAME', 'STATE', 'DEPENDS ON', 'LOADED FROM'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    out.stdout(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  return 0;
}

async function printConfig(options: SpoolOptions, out: Out): Promise<number> {
  const spool = await Spool.create({
    ...options,
    logDestination: { write: (line: string) => out.stderr(line.trimEnd()) },
  });
  out.stdout(spool.effectiveConfig.config.toString());
  return 0;
}

async function startServer(options: SpoolOptions, out: Out): Promise<number> {
  const spool = await Spool.create(options);
  let signals = 0;
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      out.stderr(`spool: second ${signal}, exiting at once`);
      process.exit(130);
    }
    const timer = setTimeout(() => {
      spool.log.error(`shutdown did not finish within ${spool.config.shutdown.timeoutMs} ms; exiting`);
      process.exit(1);
    }, spool.config.shutdown.timeoutMs);
    timer.unref();
    spool.stop(signal).then(
      () => resolveExit(0),
      (error: unknown) => {
        spool.log.error({ err: error }, 'shutdown failed');
        resolveExit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A plugin's forgotten promise must not take recordings down with the process.
  process.on('unhandledRejection', (reason) => {
    spool.log.error({ err: reason }, 'unhandled promise rejection (a plugin bug); continuing');
  });
  try {
    await spool.start();
  } catch (error) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw error;
  }
  return exited;
}
