// k6 provides a console global that @types/k6 does not declare. Declared as
// var + interface so a second identical declaration merges instead of clashing.
interface K6Console {
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
declare var console: K6Console;
