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

import { stableHex, stableUid } from './data';

describe('stableHex', () => {
  it('gives each length its own id, the shorter a prefix of the longer', () => {
    const long = stableHex('ml-dev/fraud-detector/isvc', 64);
    const short = stableHex('ml-dev/fraud-detector/isvc', 8);
    expect(long).toMatch(/^[0-9a-f]{64}$/);
    expect(short).toBe(long.slice(0, 8));
    expect(stableHex('ml-dev/fraud-detector/isvc', 64)).toBe(long);
    expect(stableHex('ml-dev/fraud-detector/isvd', 64)).not.toBe(long);
  });

  it('gives the same ids after the ids kept so far were let go', () => {
    const uid = stableUid('ml-prod/churn-predictor/deploy');
    expect(uid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    for (let i = 0; i < 250_000; i++) stableHex(`seed-${i}`, 4);
    expect(stableUid('ml-prod/churn-predictor/deploy')).toBe(uid);
  });
});
