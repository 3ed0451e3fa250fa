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

import { promises as fs } from 'node:fs';
import { UsageError } from './errors';

/** The pull request's labels and where they were read. */
export type PullRequestLabels = {
  names: string[];
  /** `--labels`, `the GitHub event`, GitLab's variable, or `none` when no source gave any. */
  source: '--labels' | 'the GitHub event' | 'CI_MERGE_REQUEST_LABELS' | 'none';
};

/** `--labels a,b`: trimmed names, empty ones dropped. */
export function parseLabelsOption(value: string): PullRequestLabels {
  return {
    names: value
      .split(',')
      .map(name => name.trim())
      .filter(Boolean),
    source: '--labels',
  };
}

/**
 * The labels of the pull request that triggered a GitHub Actions run: the
 * `pull_request.labels[].name` of the event payload at `GITHUB_EVENT_PATH`
 * (the webhook payload of the `pull_request` or `pull_request_target`
 * event). Another event (a push) has no pull request, so no labels.
 * Unreadable or malformed payloads are usage errors (exit 2): the check
 * cannot know whether the pull request is a rollback.
 */
export async function readEventLabels(
  eventPath: string,
): Promise<PullRequestLabels> {
  let payload: unknown;
  try {
    payload = JSON.parse(await fs.readFile(eventPath, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `cannot read the pull request's labels from GITHUB_EVENT_PATH (${eventPath}): ${
        (error as Error).message
      } (fix: run in GitHub Actions on a pull_request event, or pass --labels)`,
    );
  }
  const pull =
    payload && typeof payload === 'object'
      ? (payload as { pull_request?: unknown }).pull_request
      : undefined;
  if (pull === undefined) {
    return { names: [], source: 'the GitHub event' };
  }
  const labels = (pull as { labels?: unknown } | null)?.labels;
  if (
    !Array.isArray(labels) ||
    !labels.every(l => l && typeof l === 'object' && typeof l.name === 'string')
  ) {
    throw new UsageError(
      `the GitHub event at ${eventPath} has a pull_request without a list of labels with names (fix: pass --labels)`,
    );
  }
  return {
    names: labels.map(l => (l as { name: string }).name),
    source: 'the GitHub event',
  };
}

/**
 * The pull request number of a GitHub Actions run: `pull_request.number` of
 * the event at `GITHUB_EVENT_PATH`, else N of `GITHUB_REF`
 * `refs/pull/N/merge` (or `/head`); undefined when neither names one.
 */
export async function pullRequestNumberFromEnv(
  env: NodeJS.ProcessEnv,
): Promise<number | undefined> {
  if (env.GITHUB_EVENT_PATH) {
    try {
      const payload = JSON.parse(
        await fs.readFile(env.GITHUB_EVENT_PATH, 'utf8'),
      );
      const number = payload?.pull_request?.number ?? payload?.number;
      if (Number.isSafeInteger(number) && number > 0) return number;
    } catch {
      // unreadable: fall back to GITHUB_REF (readEventLabels reports it)
    }
  }
  const ref = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(env.GITHUB_REF ?? '');
  return ref ? Number(ref[1]) : undefined;
}
