import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { consumeAll } from '../support/consume.ts';
import { test, waitUntil } from '../support/fixtures.ts';
import { startGateway, type GatewayUnderTest } from '../support/gateway.ts';

/** The pids of a process's children (the primary's workers). */
function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

/** `count` requests of `size` events at once, each id `<prefix>-<request>-<i>`; the ids answered 200. */
async function postMany(gw: GatewayUnderTest, prefix: string, count: number, size: number) {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, r) =>
      gw.post(
        JSON.stringify(
          Array.from({ length: size }, (_, i) => ({
            event_type: 'tracking',
            event_id: `${prefix}-${r}-${i}`,
            user_id: `user-${r}-${i}`,
          })),
        ),
      ),
    ),
  );
  return answers.filter((a) => a.status === 200).flatMap((a) => a.body.event_ids);
}

async function metric(gw: GatewayUnderTest, name: string): Promise<number> {
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(' ').pop() ?? NaN);
}

test('GATEWAY_WORKERS=2: both listen on one port, metrics summed, a killed worker replaced, SIGTERM drains all; exactly once', async ({
  kafka,
  topic,
  dlqTopic,
}) => {
  const gw = await startGateway(kafka, topic, dlqTopic, { GATEWAY_WORKERS: '2' });
  const pid = gw.child.pid ?? 0;
  const acked: string[] = [];
  try {
    // The test starts node with tsx, which runs the program in a child: the primary is that child.
    const primary = await waitUntil('the primary and its two workers', async () => {
      const found = [pid, ...childrenOf(pid)].find((p) => childrenOf(p).length === 2);
      return found;
    });
    const first = childrenOf(primary);
    expect(first).toHaveLength(2);
    // The main port answered as soon as one worker listened; the primary is ready when both do.
    await waitUntil('the primary ready', async () =>
      (await fetch(`${gw.adminUrl}/readyz`)).status === 200 ? true : undefined,
    );
    const listening = () =>
      new Set(
        gw
          .output()
          .split('\n')
          .filter((l) => l.includes('"event":"gateway_listening"'))
          .map((l) => (JSON.parse(l) as { worker?: number }).worker),
      );
    await waitUntil('both workers logged that they listen', async () =>
      listening().size === 2 ? true : undefined,
    );

    acked.push(...(await postMany(gw, 'a', 40, 50)));
    expect(acked).toHaveLength(2000);
    // The primary sums the workers' counters.
    expect(await metric(gw, 'loglake_gateway_events_accepted_total')).toBe(2000);
    expect((await fetch(`${gw.adminUrl}/readyz`)).status).toBe(200);

    // One worker dies: the primary starts another.
    process.kill(first[0] ?? 0, 'SIGKILL');
    const replaced = await waitUntil('a new worker in place of the killed one', async () => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(first[0] ?? 0) ? now : undefined;
    });
    expect(replaced).toContain(first[1]);
    await waitUntil('ready again', async () =>
      (await fetch(`${gw.adminUrl}/readyz`)).status === 200 ? true : undefined,
    );
    const after = await postMany(gw, 'b', 40, 50);
    expect(after).toHaveLength(2000);
    acked.push(...after);
  } finally {
    // SIGTERM to the primary: every worker drains and exits 0, then the primary.
    const code = await gw.stop();
    if (code !== 0) process.stderr.write(gw.output());
    expect(code).toBe(0);
  }
  const records = await consumeAll(kafka, topic);
  const ids = records.map((r) => (JSON.parse(r.text) as { event_id: string }).event_id);
  expect(ids).toHaveLength(4000);
  expect(new Set(ids)).toEqual(new Set(acked));
});
