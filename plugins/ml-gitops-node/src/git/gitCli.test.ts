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
import os from 'node:os';
import path from 'node:path';
import { GitCli } from './gitCli';

describe('GitCli', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-gitcli-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const author = { name: 'ML GitOps', email: 'ml-gitops@example.com' };
  const header = (cli: GitCli) =>
    cli.run(['config', '--get', 'http.extraHeader']).then(s => s.trim());
  const basic = (user: string, token: string) =>
    `Authorization: Basic ${Buffer.from(`${user}:${token}`).toString(
      'base64',
    )}`;

  it("sends the token as GitHub's x-access-token by default and as the writer's user when named (GitLab's oauth2)", async () => {
    expect(await header(new GitCli(dir, { token: 'ghs_1', author }))).toBe(
      basic('x-access-token', 'ghs_1'),
    );
    expect(
      await header(
        new GitCli(dir, { token: 'glpat-1', tokenUser: 'oauth2', author }),
      ),
    ).toBe(basic('oauth2', 'glpat-1'));
  });

  it('sends no header without a token', async () => {
    await expect(header(new GitCli(dir, { author }))).rejects.toThrow(
      'git config failed (1)',
    );
  });
});
