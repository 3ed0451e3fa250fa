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

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitRepos } from '../githost/GitRepos';
import { GitHosts } from './GitHosts';

describe('GitHosts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'git-hosts-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('resolves clone URLs on each host, a GitLab subgroup path too, and renders them back', async () => {
    const github = new GitRepos(path.join(dir, 'github'));
    const gitlab = new GitRepos(path.join(dir, 'gitlab'));
    const fraud = await github.create('acme', 'fraud-detector-config');
    const forecaster = await gitlab.create(
      'ml-platform',
      'demand-forecaster-config',
    );
    const nested = await gitlab.create('ml-platform/growth-ml', 'x-config');
    const hosts = new GitHosts([
      { name: 'github', repos: github, baseUrl: () => 'http://localhost:7010' },
      { name: 'gitlab', repos: gitlab, baseUrl: () => 'http://localhost:7015' },
    ]);

    expect(
      hosts.resolve('http://localhost:7010/acme/fraud-detector-config.git')
        ?.repo,
    ).toBe(fraud);
    expect(
      hosts.resolve(
        'http://localhost:7015/ml-platform/demand-forecaster-config',
      )?.repo,
    ).toBe(forecaster);
    expect(
      hosts.resolve('http://localhost:7015/ml-platform/growth-ml/x-config.git')
        ?.repo,
    ).toBe(nested);
    // the same path on the other host, an unknown host, not a URL
    expect(
      hosts.resolve(
        'http://localhost:7010/ml-platform/demand-forecaster-config',
      ),
    ).toBeUndefined();
    expect(
      hosts.resolve('https://github.com/acme/fraud-detector-config'),
    ).toBeUndefined();
    expect(hosts.resolve('acme/fraud-detector-config')).toBeUndefined();

    expect(hosts.reposOf(forecaster)).toBe(gitlab);
    expect(hosts.cloneUrl(forecaster)).toBe(
      'http://localhost:7015/ml-platform/demand-forecaster-config.git',
    );
    expect(hosts.cloneUrl(fraud)).toBe(
      'http://localhost:7010/acme/fraud-detector-config.git',
    );
  });
});
