/**
 * Entry of the `vidlet` command (bin/vidlet.mjs runs it under tsx). Exit codes: 0 done,
 * 1 failed (message on stderr), 2 bad usage, 130 cancelled by Ctrl-C.
 */
import { USAGE, UsageError, parseCli } from './args';

async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`vidlet: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (options.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (options.command === 'generate') {
    const { runGenerate } = await import('./generate');
    const report = await runGenerate(options, log);
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const { runBench, formatBench } = await import('./bench');
  const report = await runBench(options, log);
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : formatBench(report));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`vidlet: ${err?.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err?.message ?? String(e)}\n`);
    process.exit(err?.name === 'CancelledError' ? 130 : 1);
  },
);
