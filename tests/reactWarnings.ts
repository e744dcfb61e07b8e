/**
 * Unit-suite setup: React's list-key warnings fail the test that renders them. React only logs
 * them (a missing or repeated key makes it match rows to the wrong state on a re-render), so
 * without this a table that loses its keys passes every assertion.
 */
const KEY_WARNINGS = [/unique "key" prop/, /two children with the same key/];
const logError = console.error.bind(console);

console.error = (...args: unknown[]) => {
  const text = args.map(String).join(' ');
  if (KEY_WARNINGS.some((w) => w.test(text))) throw new Error(`React: ${text}`);
  logError(...args);
};
