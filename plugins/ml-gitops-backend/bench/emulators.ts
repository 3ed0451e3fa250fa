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

/*
 * The emulated outside systems of the backend benchmark, in a child process
 * of their own so that the benchmark's CPU figures are the backend's alone.
 * Started by backend.bench.ts through `fork`; talks to it over IPC:
 *
 *   → { type: 'ready', urls }            once the servers listen
 *   ← { id, type: 'stats' }              → { id, counts, cpu, maxRssKb }
 *   ← { id, type: 'reset' }              clears the request counts
 *   ← { id, type: 'drift', model, environment, version }
 *   ← { id, type: 'stop' }               stops the servers and exits
 */

import { startScaleSandbox } from 'sandbox';

export type EmulatorRequest =
  | { id: number; type: 'stats' | 'reset' | 'stop' }
  | {
      id: number;
      type: 'drift';
      model: string;
      environment: 'dev' | 'staging' | 'production';
      version: string | null;
    };

export type EmulatorReply = {
  id: number;
  counts?: Record<string, number>;
  cpu?: NodeJS.CpuUsage;
  maxRssKb?: number;
  error?: string;
};

async function main() {
  const models = Number(process.argv[2]);
  const send = (message: unknown) => process.send!(message);
  const sandbox = await startScaleSandbox({
    models,
    log: message => process.stderr.write(`[emulators] ${message}\n`),
  });
  process.on('message', async (message: EmulatorRequest) => {
    const reply: EmulatorReply = { id: message.id };
    try {
      switch (message.type) {
        case 'stats':
          reply.counts = sandbox.requestCounts();
          reply.cpu = process.cpuUsage();
          reply.maxRssKb = process.resourceUsage().maxRSS;
          break;
        case 'reset':
          sandbox.resetRequestCounts();
          break;
        case 'drift':
          sandbox.setDrift(message.model, message.environment, message.version);
          break;
        case 'stop':
          await sandbox.stop();
          send(reply);
          return;
        default:
          reply.error = `unknown request ${JSON.stringify(message)}`;
      }
    } catch (error) {
      reply.error = String((error as Error)?.message ?? error);
    }
    send(reply);
  });
  // Leave with the benchmark, also when it crashes.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', urls: sandbox.urls });
}

main().catch(error => {
  process.stderr.write(`[emulators] ${error?.stack ?? error}\n`);
  process.exit(1);
});
