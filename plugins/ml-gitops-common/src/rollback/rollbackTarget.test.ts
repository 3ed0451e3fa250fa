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

import { rollbackCandidates } from './rollbackTarget';

describe('rollbackCandidates', () => {
  const change = (
    version: string,
    previous: string | null,
    rollback = false,
  ) => ({ version, previous, rollback });

  it('goes back past a version that was rolled back from, never forward', () => {
    // newest first: 12 → 11 (rollback), 11 → 12, 10 → 11, 9 → 10
    const result = rollbackCandidates([
      change('11', '12', true),
      change('12', '11'),
      change('11', '10'),
      change('10', '9'),
    ]);
    expect(result.current).toBe('11');
    expect(result.candidates).toEqual(['10', '9']);
    expect([...result.rolledBackFrom]).toEqual(['12']);
  });

  it('after a promotion that follows a rollback, goes back to the version it replaced', () => {
    const result = rollbackCandidates([
      change('13', '11'),
      change('11', '12', true),
      change('12', '11'),
      change('11', '10'),
    ]);
    expect(result.candidates[0]).toBe('11');
  });

  it('has nothing to go back to on a first declaration', () => {
    expect(rollbackCandidates([change('3', null)]).candidates).toEqual([]);
    expect(rollbackCandidates([]).current).toBe('');
  });
});
