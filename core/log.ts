import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LogOptions {
  readonly level: string;
  /** 'auto' = pretty when stdout is a terminal. */
  readonly pretty: 'auto' | 'true' | 'false';
  /** Where lines go; stdout by default (tests pass their own stream). */
  readonly destination?: DestinationStream;
}

/**
 * The root logger, without bindings. Every line carries `plugin`: the kernel logs through
 * `pluginLogger(root, 'kernel')`, each plugin through a child with its own name, and code that
 * reports on behalf of a plugin passes `plugin` explicitly. Config is only ever logged redacted.
 */
export function createLogger(options: LogOptions): Logger {
  const usePretty = options.pretty === 'true' || (options.pretty === 'auto' && process.stdout.isTTY === true);
  const destination =
    options.destination ??
    (usePretty
      ? pretty({
          colorize: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
          messageFormat: '[{plugin}] {msg}',
        })
      : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: options.level,
      base: undefined,
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination,
  );
}

export function pluginLogger(root: Logger, plugin: string): Logger {
  return root.child({ plugin });
}
