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

/** The poll cycles, triggered through the scheduler's API. */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, pollTask } from './backendProcess';
import { POLL_TASK } from './options';

/** The default schedule, start to start. */
const CYCLE_PERIOD_MS = 30_000;

/**
 * The poll cycles, triggered by the benchmark through the scheduler's API
 * (`POST /.backstage/scheduler/v1/tasks/<id>/trigger`): the poll task, and
 * the plugin's cluster list refresh that runs on the same schedule.
 */
export class CycleClock {
  /** When the next cycle is due (performance.now()). */
  nextAt = 0;
  constructor(private readonly api: Api) {}

  private async trigger(task: string): Promise<number> {
    const r = await this.api.pool.request({
      method: 'POST',
      path: `/api/ml-gitops/.backstage/scheduler/v1/tasks/${task}/trigger`,
      headers: { authorization: `Bearer ${this.api.token}` },
    });
    await r.body.text();
    return r.statusCode;
  }

  /** Waits until `leadMs` before the next cycle is due. */
  async waitUntilDue(leadMs = 0) {
    await sleep(Math.max(0, this.nextAt - leadMs - performance.now()));
  }

  /**
   * Triggers a cycle when it is due and waits for it to finish; returns its
   * wall time, from the scheduler's start (seen running) to its end.
   */
  async runCycle(timeoutMs: number): Promise<number> {
    await this.waitUntilDue();
    const before = await pollTask(this.api);
    const triggeredAt = performance.now();
    const status = await this.trigger(POLL_TASK);
    if (status !== 200) {
      throw new Error(`triggering ${POLL_TASK} answered ${status}`);
    }
    // 409 while it runs: it refreshes at its own pace then.
    await this.trigger('ml-gitops-clusters');
    this.nextAt = triggeredAt + CYCLE_PERIOD_MS;
    let started: number | undefined;
    for (;;) {
      const state = await pollTask(this.api);
      if (state.status === 'running') {
        started ??= performance.now();
      } else if (state.lastRunEndedAt !== before.lastRunEndedAt) {
        const wall = performance.now() - (started ?? triggeredAt);
        // A cycle longer than the period: the next one starts at its end.
        this.nextAt = Math.max(this.nextAt, performance.now());
        return wall;
      }
      if (performance.now() - triggeredAt > timeoutMs) {
        throw new Error(
          `the poll cycle did not finish within ${timeoutMs / 1000} s`,
        );
      }
      await sleep(250);
    }
  }
}
