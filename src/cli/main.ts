/** `vidlet` command line: generate and bench on the same engine as the web page. */
import { HELP, parseCli, UsageError } from './args';

export async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    if (opts.command === 'help') {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (opts.command === 'generate') {
      const { runGenerate } = await import('./generate');
      await runGenerate(opts);
      return 0;
    }
    const { runBench, formatBenchTable } = await import('./bench');
    const report = await runBench(opts);
    if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(`${formatBenchTable(report)}\n`);
    return 0;
  } catch (e) {
    const err = e as Error;
    // Engine and store errors are written for people: show name and message, not a stack.
    process.stderr.write(`\n${err?.name ?? 'Error'}: ${err?.message ?? String(e)}\n`);
    if (process.env.VIDLET_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
    return err?.name === 'CancelledError' ? 130 : 1;
  }
}

// Run when executed directly (bin/vidlet.mjs imports this file and calls main itself).
const invoked = process.argv[1] ?? '';
if (/src[\\/]cli[\\/]main\.ts$/.test(invoked)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
