/**
 * `pnpm bench:gateway-rate [--rate 10000] [--seconds 30]`: the generator's open-loop load (`pnpm
 * generate`'s code, 100 events a request) against one fresh gateway at a fixed rate, as issue 11's
 * goal states it: the gateway's cores (CPU seconds over all its threads ÷ run seconds) and the
 * answers' latency. Prints one JSON object. Part of `pnpm bench` as the gateway's fixed 10,000/s run.
 */
import { parseArgs } from 'node:util';
import { stackUp } from '@loglake/stack';
import { createContext } from './context.ts';
import { runGatewayAlone } from './gateway-run.ts';
import { loadSettings } from './settings.ts';

async function main() {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '30' },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  if (!(rate > 0) || !(seconds > 0))
    throw new Error('--rate and --seconds must be positive numbers');
  const info = await stackUp({ kafka: ['single'], s3: true, prometheus: 'off' });
  const ctx = await createContext(info, loadSettings(process.env));
  try {
    const run = await runGatewayAlone(ctx, 'fixed', rate, seconds);
    const cores = Math.round((run.gateway.cpu_s / run.seconds) * 1000) / 1000;
    console.log(
      JSON.stringify(
        { bench: 'gateway-rate', date: new Date().toISOString(), gateway_cores: cores, run },
        null,
        2,
      ),
    );
  } finally {
    await ctx.admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
