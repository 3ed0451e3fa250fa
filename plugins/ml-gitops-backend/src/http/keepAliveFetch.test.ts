/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Agent, Dispatcher } from 'undici';
import { KEEP_ALIVE_OPTIONS, keepAliveFetch } from './keepAliveFetch';

/** An agent that counts the requests sent through it. */
class CountingAgent extends Agent {
  dispatches = 0;
  dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    this.dispatches++;
    return super.dispatch(options, handler);
  }
}

/**
 * A real HTTP server that drops the connection of the requests `drop`
 * names (by their order) without answering, and answers the others.
 */
async function server(drop: (n: number) => boolean) {
  let n = 0;
  const seen: string[] = [];
  const s = http.createServer((req, res) => {
    seen.push(req.method ?? '');
    if (drop(n++)) {
      req.socket.destroy();
      return;
    }
    res.end('ok');
  });
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
  return {
    url,
    seen,
    close: () => {
      s.closeAllConnections();
      return new Promise<void>(resolve => s.close(() => resolve()));
    },
  };
}

describe('keepAliveFetch', () => {
  it('sends a GET once more when its connection closed before any answer', async () => {
    const s = await server(n => n === 0);
    try {
      const response = await keepAliveFetch()(s.url);
      expect(await response.text()).toBe('ok');
      expect(s.seen).toEqual(['GET', 'GET']);
    } finally {
      await s.close();
    }
  });

  it('sends it once more only, and never a POST', async () => {
    const s = await server(() => true);
    try {
      await expect(keepAliveFetch()(s.url)).rejects.toThrow('fetch failed');
      expect(s.seen).toEqual(['GET', 'GET']);
      s.seen.length = 0;
      await expect(
        keepAliveFetch()(s.url, { method: 'POST', body: '{}' }),
      ).rejects.toThrow('fetch failed');
      expect(s.seen).toEqual(['POST']);
    } finally {
      await s.close();
    }
  });

  it('does not send again a request whose connection was refused', async () => {
    const s = await server(() => false);
    const url = s.url;
    await s.close();
    // Nobody listens: refused, not closed before an answer. Each attempt
    // goes through the dispatcher, so it counts them.
    const agent = new CountingAgent(KEEP_ALIVE_OPTIONS);
    try {
      await expect(keepAliveFetch(agent)(url)).rejects.toThrow('fetch failed');
      expect(agent.dispatches).toBe(1);
    } finally {
      await agent.close();
    }
  });
});
