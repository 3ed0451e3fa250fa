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

// Polls of one model outside the schedule, folded together so a burst of requests costs one poll and loses none.

/** One model's polls outside the schedule: running, next, and when the last began. */
type Refresh = {
  last: number;
  running?: Promise<boolean>;
  next?: Promise<boolean>;
};

/**
 * Folds requests to poll a model now: one already running is joined, and
 * within the minimum interval of the last poll the requests wait for a
 * single poll at its end.
 */
export class RefreshFolding {
  private readonly refreshes = new Map<string, Refresh>();

  constructor(
    private readonly deps: {
      /** `refreshMinInterval`: the least time between two polls of a model. */
      minIntervalMs: number;
      /** Polls the model; `freshFleet` when the fleet read must be a new one. */
      poll(
        entityRef: string,
        options: { freshFleet?: boolean },
      ): Promise<boolean>;
    },
  ) {}

  /** Polls the model now, or joins the poll that serves this request. */
  request(entityRef: string): Promise<boolean> {
    const minInterval = this.deps.minIntervalMs;
    let state = this.refreshes.get(entityRef);
    if (!state) {
      state = { last: -Infinity };
      this.refreshes.set(entityRef, state);
    }
    if (state.next) return state.next;
    const entry = state;
    const due = entry.last + minInterval - Date.now();
    if (!entry.running && due <= 0) {
      return this.pollNow(entityRef, entry);
    }
    entry.next = (async () => {
      await entry.running?.catch(() => undefined);
      const wait = entry.last + minInterval - Date.now();
      if (wait > 0) {
        await new Promise(resolve => setTimeout(resolve, wait).unref?.());
      }
      entry.next = undefined;
      // These requests came after the last read began: read the fleet anew.
      return this.pollNow(entityRef, entry, { freshFleet: true });
    })();
    return entry.next;
  }

  private async pollNow(
    entityRef: string,
    entry: Refresh,
    options: { freshFleet?: boolean } = {},
  ): Promise<boolean> {
    entry.last = Date.now();
    const running = this.deps.poll(entityRef, options);
    entry.running = running;
    try {
      return await running;
    } finally {
      if (entry.running === running) entry.running = undefined;
    }
  }
}
