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

import { JsonObject } from '@backstage/types';
import { execFileSync } from 'node:child_process';
import { Sandbox, SANDBOX_CREDENTIALS } from 'sandbox';

/*
 * One face over the sandbox's two Git hosts, so a sandbox test of the
 * actions runs unchanged against GitHub and GitLab: what the actions are
 * configured with, what a team does to land a change (the check, the
 * approval, the merge through the host's REST API) and the host's bare
 * repository, where git itself answers the questions about a change.
 */

/** An open change (pull or merge request), as the host's API answers it. */
export type HostChange = {
  open: boolean;
  /** the head commit */
  head: string;
  /** the branch it merges into */
  target: string;
  /** the page a person opens */
  url: string;
  labels: string[];
};

export type SandboxGitHost = {
  kind: 'github' | 'gitlab';
  /** `owner/repo` on GitHub, `group/project` on GitLab */
  path: string;
  /** the URL the ml-gitops/config-repo annotation names */
  repoUrl: string;
  /** `integrations:` as app-config.sandbox.yaml wires it, on free ports */
  integrations(): JsonObject;
  /** the URL of change `number`'s page, as the actions must output it */
  changeUrl(number: number): string;
  change(number: number): Promise<HostChange>;
  branchHead(branch: string): Promise<string>;
  /** a file at a ref; undefined when absent */
  readFile(ref: string, file: string): Promise<string | undefined>;
  /**
   * Commits a file on a branch (on GitHub as an admin past protection, on
   * GitLab through a merge request landed with {@link SandboxGitHost.pass});
   * the new head.
   */
  writeFile(branch: string, file: string, text: string): Promise<string>;
  /**
   * The validate check succeeds on the head (as CI reports it), an
   * eligible person approves, the change merges; the merge commit.
   */
  pass(number: number, check: string): Promise<string>;
  /** runs git in the host's bare repository; undefined when git fails */
  git(...args: string[]): string | undefined;
};

async function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

async function ok(
  answer: Promise<{ status: number; body: any }>,
  what: string,
): Promise<any> {
  const { status, body } = await answer;
  if (status >= 300) {
    throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  }
  return body;
}

function gitIn(bare: string) {
  return (...args: string[]) => {
    try {
      return execFileSync('git', args, {
        cwd: bare,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    } catch {
      return undefined;
    }
  };
}

/** The sandbox's GitHub: `owner/repo` there. */
export function sandboxGithub(
  sandbox: Sandbox,
  owner: string,
  repo: string,
  options: {
    /**
     * `posted`: the test posts the check's success on the head, as the
     * Actions app would; `workflow`: the sandbox's Actions runner runs the
     * repo's validate workflow (the real CLI) and its status decides (start
     * the sandbox with RUN_THE_CLI).
     */
    check?: 'posted' | 'workflow';
  } = {},
): SandboxGitHost {
  const api = (
    method: string,
    p: string,
    body?: unknown,
    authorization = 'token sandbox-github-token',
  ) =>
    call(
      `${sandbox.urls.gitApi}/repos/${owner}/${repo}${p}`,
      method,
      { authorization },
      body,
    );
  const web = `${sandbox.urls.git}/${owner}/${repo}`;
  /** The validate workflow ran on the pull request's head and passed. */
  const workflowPassed = async (n: number, head: string, check: string) => {
    await sandbox.actionsIdle();
    const statuses = await ok(
      api('GET', `/commits/${head}/statuses`),
      `statuses of ${head}`,
    );
    const latest = statuses.find(
      (s: { context: string }) => s.context === check,
    );
    if (latest?.state === 'success') return;
    const run = sandbox
      .actionsRuns()
      .filter(r => r.repository === `${owner}/${repo}` && r.headSha === head)
      .at(-1);
    throw new Error(
      `the ${check} workflow of #${n} at ${head.slice(0, 7)} did not pass: ${
        latest?.state ?? 'no status'
      } ${latest?.description ?? ''}\n${run?.log.join('\n') ?? ''}`,
    );
  };
  const bare = () => {
    const { repos } = sandbox.current();
    return repos.dir(repos.get(owner, repo)!);
  };
  return {
    kind: 'github',
    path: `${owner}/${repo}`,
    repoUrl: web,
    integrations: () => ({
      github: [
        {
          host: new URL(sandbox.urls.git).host,
          apiBaseUrl: sandbox.urls.gitApi,
          token: 'sandbox-github-token',
        },
      ],
    }),
    changeUrl: n => `${web}/pull/${n}`,
    async change(n) {
      const pull = await ok(api('GET', `/pulls/${n}`), `pull ${n}`);
      return {
        open: pull.state === 'open',
        head: pull.head.sha,
        target: pull.base.ref,
        url: pull.html_url,
        labels: pull.labels.map((l: { name: string }) => l.name),
      };
    },
    async branchHead(branch) {
      const b = await ok(
        api('GET', `/branches/${encodeURIComponent(branch)}`),
        branch,
      );
      return b.commit.sha;
    },
    async readFile(ref, file) {
      const res = await api('GET', `/contents/${file}?ref=${ref}`);
      return res.status === 200
        ? Buffer.from(res.body.content, 'base64').toString('utf8')
        : undefined;
    },
    async writeFile(branch, file, text) {
      const current = await api('GET', `/contents/${file}?ref=${branch}`);
      const put = await ok(
        api(
          'PUT',
          `/contents/${file}`,
          {
            message: `Write ${file}`,
            content: Buffer.from(text).toString('base64'),
            branch,
            ...(current.status === 200 ? { sha: current.body.sha } : {}),
          },
          `Basic ${Buffer.from('admin:x').toString('base64')}`,
        ),
        `write ${file}`,
      );
      return put.commit.sha;
    },
    async pass(n, check) {
      const { head } = await this.change(n);
      if (options.check === 'workflow') await workflowPassed(n, head, check);
      // the status as the GitHub Actions app posts it
      else
        await ok(
          api(
            'POST',
            `/statuses/${head}`,
            { state: 'success', context: check, description: 'passes' },
            'token sandbox-actions-token',
          ),
          `status on ${head}`,
        );
      // ada is a code owner of deploy/model.yaml in the seed's CODEOWNERS
      await ok(
        api('POST', `/pulls/${n}/reviews`, { event: 'APPROVE', user: 'ada' }),
        `review of ${n}`,
      );
      const merged = await ok(
        api('PUT', `/pulls/${n}/merge`, { merge_method: 'merge', sha: head }),
        `merge of ${n}`,
      );
      return merged.sha;
    },
    git: (...args) => gitIn(bare())(...args),
  };
}

/** The sandbox's GitLab: the project `group/project` there. */
export function sandboxGitlab(
  sandbox: Sandbox,
  project: string,
  options: {
    /**
     * `posted`: the test posts the check's success on the head, as the CI
     * would; `pipeline`: the sandbox's CI runs the project's .gitlab-ci.yml
     * (the real CLI) and its result decides (start the sandbox with
     * RUN_THE_CLI).
     */
    check?: 'posted' | 'pipeline';
  } = {},
): SandboxGitHost {
  const token = (user?: string) =>
    user ? `sandbox-gitlab-${user}-token` : SANDBOX_CREDENTIALS.gitlab.token;
  const api = (method: string, p: string, body?: unknown, user?: string) =>
    call(
      `${sandbox.urls.gitlab}/api/v4/projects/${encodeURIComponent(
        project,
      )}${p}`,
      method,
      { 'private-token': token(user) },
      body,
    );
  const web = `${sandbox.urls.gitlab}/${project}`;
  /** The merge request's head pipeline ran `check` and passed. */
  const pipelinePassed = async (n: number, head: string, check: string) => {
    await sandbox.actionsIdle();
    const [latest] = await ok(
      api('GET', `/merge_requests/${n}/pipelines`),
      `pipelines of !${n}`,
    );
    if (latest?.sha === head && latest.status === 'success') return;
    const gl = sandbox.current().gitlab;
    const job = gl
      .headPipeline(
        gl.project(project)!,
        gl.mergeRequest(gl.project(project)!, n),
      )
      ?.jobs.find(j => j.name === check);
    throw new Error(
      `the ${check} job of !${n} at ${head.slice(0, 7)} did not pass: ${
        latest?.status ?? 'no pipeline'
      } ${job?.description ?? ''}\n${job?.log.join('\n') ?? ''}`,
    );
  };
  const bare = () => {
    const gl = sandbox.current().gitlab;
    return gl.repos.dir(gl.project(project)!.repo);
  };
  return {
    kind: 'gitlab',
    path: project,
    repoUrl: web,
    integrations: () => ({
      gitlab: [
        {
          host: new URL(sandbox.urls.gitlab).host,
          apiBaseUrl: `${sandbox.urls.gitlab}/api/v4`,
          baseUrl: sandbox.urls.gitlab,
          token: token(),
        },
      ],
    }),
    changeUrl: n => `${web}/-/merge_requests/${n}`,
    async change(n) {
      const mr = await ok(api('GET', `/merge_requests/${n}`), `MR !${n}`);
      return {
        open: mr.state === 'opened',
        head: mr.sha,
        target: mr.target_branch,
        url: mr.web_url,
        labels: mr.labels,
      };
    },
    async branchHead(branch) {
      const b = await ok(
        api('GET', `/repository/branches/${encodeURIComponent(branch)}`),
        branch,
      );
      return b.commit.id;
    },
    async readFile(ref, file) {
      const res = await fetch(
        `${sandbox.urls.gitlab}/api/v4/projects/${encodeURIComponent(
          project,
        )}/repository/files/${encodeURIComponent(
          file,
        )}/raw?ref=${encodeURIComponent(ref)}`,
        { headers: { 'private-token': token() } },
      );
      return res.status === 200 ? res.text() : undefined;
    },
    async writeFile(branch, file, text) {
      // No one pushes to a protected branch on GitLab, so the file lands
      // through a merge request, as any change there does.
      const exists = (await this.readFile(branch, file)) !== undefined;
      const source = `write/${branch}/${Date.now()}`;
      await ok(
        api('POST', '/repository/commits', {
          branch: source,
          start_branch: branch,
          commit_message: `Write ${file}`,
          actions: [
            {
              action: exists ? 'update' : 'create',
              file_path: file,
              content: text,
            },
          ],
        }),
        `write ${file}`,
      );
      const mr = await ok(
        api('POST', '/merge_requests', {
          source_branch: source,
          target_branch: branch,
          title: `Write ${file}`,
        }),
        `merge request of ${file}`,
      );
      return this.pass(mr.iid, 'ml-gitops/validate');
    },
    async pass(n, check) {
      const { head } = await this.change(n);
      // "Pipelines must succeed": the job's result as the pipeline reports
      // it on the head (docs.gitlab.com/api/commits#set-the-pipeline-status-of-a-commit)
      if (options.check === 'pipeline') await pipelinePassed(n, head, check);
      else {
        await ok(
          api('POST', `/statuses/${head}`, { state: 'success', name: check }),
          `status on ${head}`,
        );
      }
      // katherine, Maintainer of ml-platform: a code owner of
      // deploy/model.yaml and an eligible approver of the Production rule
      await ok(
        api('POST', `/merge_requests/${n}/approve`, { sha: head }, 'katherine'),
        `approval of !${n}`,
      );
      const merged = await ok(
        api('PUT', `/merge_requests/${n}/merge`, { sha: head }, 'katherine'),
        `merge of !${n}`,
      );
      return merged.merge_commit_sha;
    },
    git: (...args) => gitIn(bare())(...args),
  };
}
