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

import { reusedFor } from './reusedFor';

describe('reusedFor', () => {
  it('reads anew only when the last read is older than its time', async () => {
    let now = 0;
    let reads = 0;
    const value = reusedFor(
      2000,
      async () => ++reads,
      () => now,
    );
    expect(await value()).toBe(1);
    now = 1999;
    expect(await value()).toBe(1);
    now = 2000;
    expect(await value()).toBe(2);
    expect(reads).toBe(2);
  });

  it('shares a read under way, and keeps no failure', async () => {
    let reads = 0;
    let fail = true;
    const value = reusedFor(2000, async () => {
      reads++;
      if (fail) throw new Error('database unavailable');
      return 'health';
    });
    const [a, b] = await Promise.allSettled([value(), value()]);
    expect(reads).toBe(1);
    expect(a).toEqual(b);
    expect(a.status).toBe('rejected');
    fail = false;
    expect(await value()).toBe('health');
    expect(reads).toBe(2);
  });
});
