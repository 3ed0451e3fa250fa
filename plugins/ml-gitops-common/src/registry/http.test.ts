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
import { fetchWithTimeout } from './http';

describe('fetchWithTimeout', () => {
  it('says why a server is unreachable, not only that fetch failed', async () => {
    // A port that was just listened on and closed: nobody answers there.
    const server = http.createServer();
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>(resolve => server.close(() => resolve()));
    await expect(
      fetchWithTimeout(
        (...args) => globalThis.fetch(...args),
        `http://127.0.0.1:${port}/api/2.0/mlflow/registered-models/get`,
        {},
        { where: 'MLflow at http://127.0.0.1', timeoutMs: 5_000 },
      ),
    ).rejects.toThrow(
      'MLflow at http://127.0.0.1 is unreachable: fetch failed (ECONNREFUSED); check the URL and the network',
    );
  });
});
