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

/*
 * A GitLab emulator for one test file: seeded, on a free port, its data in
 * a temporary directory; stopped and removed after the tests.
 */

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { git } from '../lib/git';
import { EmulatorServer, sendJson } from '../lib/http';
import { GitLabApi } from '../gitlab/GitLabApi';
import { GitLabHost } from '../gitlab/GitLabHost';
import { GITLAB_BOT_TOKEN } from '../gitlab/model';
import { PipelineRunner, PipelineRunnerOptions } from '../gitlab/pipelines';
import { seedGitLab } from '../gitlab/seed';
import { serveGitLabWeb } from '../gitlab/web';

export const PROJECT = 'ml-platform/demand-forecaster-config';
export const ENCODED = encodeURIComponent(PROJECT);
export const TOKENS = {
  bot: GITLAB_BOT_TOKEN,
  ada: 'sandbox-gitlab-ada-token',
  grace: 'sandbox-gitlab-grace-token',
  katherine: 'sandbox-gitlab-katherine-token',
};

export type TestGitLab = {
  host: GitLabHost;
  api: GitLabApi;
  url: string;
  dir: string;
  runner?: PipelineRunner;
  /** a REST call as `as` (a token); JSON body in and out */
  call(
    method: string,
    p: string,
    opts?: { body?: unknown; token?: string | null; bearer?: boolean },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** git in a directory, with the emulator's clone URL at hand */
  gitIn(cwd: string, args: string[]): Promise<string>;
  cloneUrl(token: string): string;
};

export function useGitLab(
  runner?: Omit<PipelineRunnerOptions, 'workDir' | 'jobToken'>,
): () => TestGitLab {
  let t: TestGitLab | undefined;
  let server: EmulatorServer | undefined;
  beforeAll(async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sandbox-gitlab-'));
    const host = new GitLabHost(
      GitLabHost.repositories(path.join(dir, 'repos')),
      () => server!.url,
    );
    await seedGitLab(host, path.join(dir, 'work'));
    const api = new GitLabApi(host);
    const ci =
      runner &&
      new PipelineRunner(
        host,
        {
          ...runner,
          workDir: path.join(dir, 'ci'),
          jobToken: GITLAB_BOT_TOKEN,
        },
        () => {},
      );
    server = new EmulatorServer({
      name: 'gitlab',
      port: 0,
      handler: (req, res, url) => serveGitLabWeb(host, api, req, res, url),
      unauthorized: res => sendJson(res, 401, { message: '401 Unauthorized' }),
      unavailable: res => sendJson(res, 503, { message: 'unavailable' }),
      internalError: (res, e) => sendJson(res, 500, { message: String(e) }),
    });
    await server.start();
    const base = server.url;
    t = {
      host,
      api,
      url: base,
      dir,
      runner: ci,
      async call(method, p, opts = {}) {
        const token = opts.token === undefined ? TOKENS.bot : opts.token;
        const headers: Record<string, string> = {
          'content-type': 'application/json',
        };
        if (token) {
          if (opts.bearer) headers.authorization = `Bearer ${token}`;
          else headers['private-token'] = token;
        }
        const res = await fetch(`${base}/api/v4${p}`, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        });
        const text = await res.text();
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // plain text (raw files, 429)
        }
        return { status: res.status, body, headers: res.headers };
      },
      gitIn: (cwd, args) => git(args, { cwd }),
      cloneUrl: token =>
        `${base.replace('://', `://oauth2:${token}@`)}/${PROJECT}.git`,
    };
  });
  afterAll(async () => {
    await t?.runner?.stop();
    await server?.stop();
    if (t) await fs.rm(t.dir, { recursive: true, force: true });
  });
  return () => {
    if (!t) throw new Error('the GitLab emulator starts in beforeAll');
    return t;
  };
}
