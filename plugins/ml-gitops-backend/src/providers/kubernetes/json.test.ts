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

import { timestamp } from './json';

describe('timestamp', () => {
  it.each([
    // how Kubernetes writes metav1.Time
    ['2026-12-06T19:00:05Z', '2026-12-06T19:00:05.000Z'],
    // other RFC 3339 forms
    ['2026-12-06T19:00:05.250Z', '2026-12-06T19:00:05.250Z'],
    ['2026-12-06T20:00:05+01:00', '2026-12-06T19:00:05.000Z'],
  ])('reads %s as %s', (value, iso) => {
    expect(timestamp(value)).toBe(iso);
  });

  it.each([['2026-13-06T19:00:05Z'], ['yesterday'], [''], [42], [undefined]])(
    'reads %p as absent',
    value => {
      expect(timestamp(value)).toBeUndefined();
    },
  );
});
