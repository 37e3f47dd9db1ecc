/**
 * An EngineClient talking to an EngineHost over a MessageChannel, as the page talks to the worker,
 * without a real Worker. Each test file that imports this closes its channels after every test.
 */
import * as Comlink from 'comlink';
import { afterEach } from 'vitest';
import { EngineClient } from '../../../src/worker/engine-client';
import type { EngineHost } from '../../../src/worker/engine-host';

const open: (() => void)[] = [];
afterEach(() => open.splice(0).forEach((close) => close()));

export function clientFor(host: EngineHost): EngineClient {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(host, port2);
  const client = new EngineClient(Object.assign(port1, { terminate: () => port1.close() }) as unknown as Worker);
  open.push(() => {
    client.terminate();
    port2.close();
  });
  return client;
}
