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

import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GitCli, GitCommandError } from './gitCli';

describe('GitCli', () => {
  it('gives up on a Git host that stops answering, and says so', async () => {
    // A server that accepts the connection and never answers.
    const hung: http.ServerResponse[] = [];
    const server = http.createServer((_req, res) => {
      hung.push(res);
    });
    await new Promise<void>(resolve => server.listen(0, resolve));
    const { port } = server.address() as AddressInfo;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-gitcli-'));
    try {
      const git = new GitCli(dir, {
        author: { name: 'Alice', email: 'alice@example.com' },
        token: 'secret-token-value',
        timeoutMs: 1_500,
      });
      const error = await git
        .run(['ls-remote', `http://127.0.0.1:${port}/acme/repo.git`])
        .catch(e => e);
      expect(error).toBeInstanceOf(GitCommandError);
      expect(error.message).toBe(
        'git ls-remote failed (timeout): did not finish within 2 s; the Git host may be unreachable or slow, run the task again',
      );
      expect(error.message).not.toContain('secret-token-value');
    } finally {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
