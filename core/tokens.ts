import { inject, injectable } from 'tsyringe';

/**
 * A typed service key. Plugins share services only through tokens exported from their `api.ts`,
 * so the type travels with the key and a typo is a compile error, not an undefined at run time.
 */
export class Token<T> {
  readonly symbol: symbol;
  /** Phantom field carrying T; never set. */
  declare readonly type?: T;

  constructor(readonly name: string) {
    this.symbol = Symbol.for(`spool:${name}`);
  }

  toString(): string {
    return `Token(${this.name})`;
  }
}

export function createToken<T>(name: string): Token<T> {
  return new Token<T>(name);
}

/** Constructor-parameter decorator: `constructor(@injectToken(BusToken) bus: StreamBus)`. */
export function injectToken<T>(token: Token<T>): ParameterDecorator {
  return inject(token.symbol) as ParameterDecorator;
}

/**
 * The same as `@injectable()` on a class and `@injectToken(token)` on each constructor parameter,
 * for code without decorators (plain JavaScript): `injects(MyPlugin, [PluginContextToken, BusToken])`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any constructor
export function injects<C extends new (...args: any[]) => unknown>(
  target: C,
  tokens: readonly Token<unknown>[],
): C {
  tokens.forEach((token, index) => inject(token.symbol)(target, undefined, index));
  injectable()(target);
  return target;
}
