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

import { statusSignalKey } from './types';

describe('statusSignalKey', () => {
  it('is the 64-bit FNV-1a hash of the entity ref, naming nothing', () => {
    // Computed independently (FNV-1a 64 over "ml-gitops:" + the ref).
    expect(statusSignalKey('component:default/fraud-detector')).toBe(
      'a95e66219359b661',
    );
    expect(statusSignalKey('component:default/fraud-detector')).not.toContain(
      'fraud',
    );
    expect(statusSignalKey('component:default/churn-predictor')).not.toBe(
      statusSignalKey('component:default/fraud-detector'),
    );
  });
});
