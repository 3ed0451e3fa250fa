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

import { networkMessage } from './networkMessage';

describe('networkMessage', () => {
  it("adds the cause's code, else its message, to fetch's own", () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), {
        code: 'ECONNREFUSED',
      }),
    });
    expect(networkMessage(refused)).toBe('fetch failed (ECONNREFUSED)');
    const closed = new TypeError('fetch failed', {
      cause: new Error('SocketError: other side closed'),
    });
    expect(networkMessage(closed)).toBe(
      'fetch failed (SocketError: other side closed)',
    );
    expect(networkMessage(new Error('timed out'))).toBe('timed out');
    expect(networkMessage('plain')).toBe('plain');
  });
});
