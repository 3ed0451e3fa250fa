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

// Where `ml-gitops validate` reads the change request: GitHub or GitLab, from flags and the CI job's environment.

import type { GitHubContext } from '../checks/approvalGitHub';
import type { GitLabContext } from '../checks/approvalGitLab';
import { UsageError } from './errors';
import { PullRequestLabels } from './labels';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^[1-9][0-9]{0,9}$/;

/** The flags of `validate` that name the Git host and its change request. */
export type HostFlags = {
  'github-token-env'?: string;
  pr?: string;
  'github-repo'?: string;
  'gitlab-token-env'?: string;
  'merge-request'?: string;
  'gitlab-project'?: string;
};

export type HostContexts = {
  github: GitHubContext;
  /** Set when the change request is a GitLab merge request. */
  gitlab?: GitLabContext;
  /** The variables holding the host's tokens (hidden from integration checks). */
  secretEnvNames: string[];
};

function tokenFrom(
  env: NodeJS.ProcessEnv,
  flag: string,
  name: string | undefined,
  fallback: string,
): string | undefined {
  if (name === undefined) return env[fallback] || undefined;
  if (!ENV_NAME.test(name)) {
    throw new UsageError(
      `${flag} takes the name of an environment variable, not the token itself`,
    );
  }
  if (!env[name]) {
    throw new UsageError(
      `${flag} ${name}: the variable ${name} is not set or empty`,
    );
  }
  return env[name];
}

function url(value: string, name: string, example: string): string {
  if (!/^https?:\/\//.test(value)) {
    throw new UsageError(
      `${name} must be an http(s) URL, e.g. ${example}, not ${JSON.stringify(
        value,
      )}`,
    );
  }
  return value;
}

/** Whether the change request is a GitLab merge request. */
function onGitLab(flags: HostFlags, env: NodeJS.ProcessEnv): boolean {
  const gitlabFlags = (
    ['gitlab-token-env', 'merge-request', 'gitlab-project'] as const
  ).filter(f => flags[f] !== undefined);
  const githubFlags = (
    ['github-token-env', 'pr', 'github-repo'] as const
  ).filter(f => flags[f] !== undefined);
  if (gitlabFlags.length && githubFlags.length) {
    throw new UsageError(
      `--${gitlabFlags[0]} (GitLab) and --${githubFlags[0]} (GitHub) name different hosts: pass the flags of the host the change request is on`,
    );
  }
  if (gitlabFlags.length) return true;
  if (githubFlags.length) return false;
  // GitLab CI/CD sets GITLAB_CI in every job
  // (docs.gitlab.com/ci/variables/predefined_variables)
  return env.GITLAB_CI === 'true';
}

/**
 * The GitHub and, on GitLab, GitLab context of the approval check. GitLab
 * CI's predefined variables (docs.gitlab.com/ci/variables/predefined_variables)
 * give the API (CI_API_V4_URL, else CI_SERVER_URL), the project
 * (CI_PROJECT_ID, else CI_PROJECT_PATH) and the merge request
 * (CI_MERGE_REQUEST_IID); the token is GITLAB_TOKEN unless
 * --gitlab-token-env names another variable.
 */
export function hostContexts(
  flags: HostFlags,
  env: NodeJS.ProcessEnv,
  fetchImpl?: typeof fetch,
): HostContexts {
  const githubTokenEnv = flags['github-token-env'];
  const githubToken = tokenFrom(
    env,
    '--github-token-env',
    githubTokenEnv,
    'GITHUB_TOKEN',
  );
  let pullRequest: number | undefined;
  if (flags.pr !== undefined) {
    if (!NUMBER.test(flags.pr)) {
      throw new UsageError(
        `--pr takes the pull request's number, e.g. --pr 42, not ${JSON.stringify(
          flags.pr,
        )}`,
      );
    }
    pullRequest = Number(flags.pr);
  }
  const githubRepo =
    flags['github-repo'] ?? (env.GITHUB_REPOSITORY || undefined);
  if (
    githubRepo !== undefined &&
    !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(githubRepo)
  ) {
    throw new UsageError(
      `--github-repo takes OWNER/NAME, e.g. acme/fraud-detector-config, not ${JSON.stringify(
        githubRepo,
      )}`,
    );
  }
  const github: GitHubContext = {
    token: githubToken,
    tokenHint: githubTokenEnv
      ? `--github-token-env ${githubTokenEnv}`
      : 'set GITHUB_TOKEN or pass --github-token-env NAME',
    repository: githubRepo,
    pullRequest,
    apiUrl: url(
      env.GITHUB_API_URL || 'https://api.github.com',
      'GITHUB_API_URL',
      'https://api.github.com',
    ),
    fetch: fetchImpl,
  };
  const secretEnvNames = [
    'GITHUB_TOKEN',
    ...(githubTokenEnv ? [githubTokenEnv] : []),
    'GITLAB_TOKEN',
    'CI_JOB_TOKEN',
  ];
  if (!onGitLab(flags, env)) return { github, secretEnvNames };

  const gitlabTokenEnv = flags['gitlab-token-env'];
  const token = tokenFrom(
    env,
    '--gitlab-token-env',
    gitlabTokenEnv,
    'GITLAB_TOKEN',
  );
  const iidText =
    flags['merge-request'] ?? (env.CI_MERGE_REQUEST_IID || undefined);
  if (iidText !== undefined && !NUMBER.test(iidText)) {
    throw new UsageError(
      `--merge-request takes the merge request's IID (the number after "!"), e.g. --merge-request 42, not ${JSON.stringify(
        iidText,
      )}`,
    );
  }
  const project =
    flags['gitlab-project'] ??
    (env.CI_PROJECT_ID || env.CI_PROJECT_PATH || undefined);
  // a path segment starts with a letter, digit or "_" (GitLab's path rules)
  if (
    project !== undefined &&
    !/^(\d+|\w[\w.-]*(\/\w[\w.-]*)+)$/.test(project)
  ) {
    throw new UsageError(
      `--gitlab-project takes the project's ID or full path, e.g. ml-platform/fraud-detector-config, not ${JSON.stringify(
        project,
      )}`,
    );
  }
  const apiUrl = env.CI_API_V4_URL
    ? url(env.CI_API_V4_URL, 'CI_API_V4_URL', 'https://gitlab.com/api/v4')
    : `${url(
        env.CI_SERVER_URL || 'https://gitlab.com',
        'CI_SERVER_URL',
        'https://gitlab.com',
      ).replace(/\/+$/, '')}/api/v4`;
  return {
    github,
    gitlab: {
      token,
      tokenHint: gitlabTokenEnv
        ? `--gitlab-token-env ${gitlabTokenEnv}`
        : 'set GITLAB_TOKEN or pass --gitlab-token-env NAME',
      project,
      mergeRequest: iidText === undefined ? undefined : Number(iidText),
      apiUrl,
      fetch: fetchImpl,
    },
    secretEnvNames: [
      ...secretEnvNames,
      ...(gitlabTokenEnv ? [gitlabTokenEnv] : []),
    ],
  };
}

/**
 * The merge request's labels in a GitLab merge request pipeline:
 * CI_MERGE_REQUEST_LABELS, comma separated, unset when it has none.
 */
export function mergeRequestLabels(
  env: NodeJS.ProcessEnv,
): PullRequestLabels | undefined {
  if (!env.CI_MERGE_REQUEST_IID) return undefined;
  return {
    names: (env.CI_MERGE_REQUEST_LABELS ?? '')
      .split(',')
      .map(name => name.trim())
      .filter(Boolean),
    source: 'CI_MERGE_REQUEST_LABELS',
  };
}
