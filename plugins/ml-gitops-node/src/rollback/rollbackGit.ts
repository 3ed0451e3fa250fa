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

// The rollback's Git work in its clone: the environment's version changes from first-parent history, and pushing the one-commit branch.
import { deploymentKindOf } from '@ml-gitops/plugin-ml-gitops-common';
import { GitCli, GitCommandError } from '../git/gitCli';
import { VersionChange } from './rollbackTypes';

/**
 * Pushes `commit` (one commit on `baseHead`) as `branch`. A branch that
 * already holds the same change on the same base is kept; one left by an
 * earlier state of the environment is replaced (only ML GitOps writes its
 * change branches).
 */
export async function pushOneCommitBranch(
  git: GitCli,
  logger: { info(message: string): void },
  branch: string,
  baseHead: string,
  commit: string,
) {
  const ref = `refs/heads/${branch}`;
  const remoteSha = async () =>
    ((await git.run(['ls-remote', 'origin', ref])).split(/\s/)[0] ?? '').trim();
  const sameChange = async (sha: string) => {
    if (!sha) return false;
    await git.run(['fetch', '--quiet', '--no-tags', 'origin', ref]);
    const parent = await git.tryRun(['rev-parse', 'FETCH_HEAD^']);
    const tree = await git.tryRun(['rev-parse', 'FETCH_HEAD^{tree}']);
    const ours = await git.run(['rev-parse', `${commit}^{tree}`]);
    return parent?.trim() === baseHead && tree?.trim() === ours.trim();
  };
  const existing = await remoteSha();
  if (await sameChange(existing)) {
    logger.info(`Branch ${branch} already holds this rollback; reusing it`);
    return;
  }
  try {
    await git.run([
      'push',
      '--quiet',
      `--force-with-lease=${ref}:${existing}`,
      'origin',
      `${commit}:${ref}`,
    ]);
  } catch (error) {
    // Another run pushed the same change first.
    if (
      error instanceof GitCommandError &&
      (await sameChange(await remoteSha()))
    ) {
      logger.info(`Another run pushed this rollback to ${branch}; keeping it`);
      return;
    }
    throw error;
  }
  logger.info(
    existing
      ? `Rebuilt ${branch} on ${baseHead.slice(0, 7)}`
      : `Pushed the rollback to ${branch}`,
  );
}

/**
 * The environment's version changes, newest first, from its first-parent
 * history: the commits the history reader takes for deployments, each a
 * rollback or not by the rule the history uses (`deploymentKindOf`), told
 * what the commits say (the clone has no pull requests).
 */
export async function versionChanges(
  git: GitCli,
  versionAt: (rev: string) => Promise<string | null>,
  maxHistory: number,
  where: { environments: readonly string[]; environment: string },
): Promise<VersionChange[]> {
  const lines = (
    await git.run([
      'rev-list',
      '--first-parent',
      '--parents',
      `--max-count=${maxHistory}`,
      'HEAD',
    ])
  )
    .split('\n')
    .filter(Boolean);
  const changes: VersionChange[] = [];
  for (const line of lines) {
    const [sha, ...parents] = line.split(' ');
    const version = await versionAt(sha);
    if (version === null) continue;
    const previous = parents[0] ? await versionAt(parents[0]) : null;
    if (version === previous) continue;
    const message = await git.run(['log', '-1', '--format=%B', sha]);
    const mergedHead = parents[1];
    const kind = await deploymentKindOf(
      {
        message,
        ...(mergedHead
          ? {
              mergedHeadMessage: () =>
                git.run(['log', '-1', '--format=%B', mergedHead]),
            }
          : {}),
      },
      where,
    );
    changes.push({
      sha,
      parents,
      subject: message.split('\n')[0],
      version,
      previous,
      rollback: kind === 'rollback',
    });
  }
  return changes;
}
