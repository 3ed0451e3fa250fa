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

// Proposing the rollback of one environment as a pull request: clone, pick the target, make the commit, push, open, reject.
import { InputError } from '@backstage/errors';
import {
  changeTrailer,
  markdownText,
  parseModelManifest,
  rollbackCandidates,
  setModelVersion,
} from '@ml-gitops/plugin-ml-gitops-common';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  branchChange,
  ChangeSteps,
  openChangePullRequest,
} from '../git/changePullRequest';
import { GitCli, GitCommandError } from '../git/gitCli';
import { pushOneCommitBranch, versionChanges } from './rollbackGit';
import { chooseRollbackTarget, resolveStorageLocation } from './rollbackTarget';
import {
  RollbackDeps,
  RollbackRefusedError,
  RollbackRequest,
  RollbackResult,
} from './rollbackTypes';

/*
 * The rollback of one environment, as a pull request: the one code path of
 * the `ml-gitops:rollback` scaffolder action and of the backend's automatic
 * rollback. It clones the environment's branch, finds the target with
 * `rollbackCandidates` (the newest earlier version that served there and was
 * not itself rolled back from, skipping versions rejected in the registry),
 * makes a `git revert` of the last deployment when that brings the target
 * back and a commit setting `model_version` otherwise, pushes it to
 * `ml-gitops/rollback/<env>/<version>`, opens (or finds) the pull request
 * with its label and record, and marks the version it leaves rejected.
 */

/**
 * Proposes the rollback of one environment as a pull request (see the top
 * of this file). Refuses with {@link RollbackRefusedError} when there is
 * nothing to roll back to, and with an InputError on a missing branch or an
 * invalid manifest, before pushing anything.
 *
 * @public
 */
export async function proposeRollback(
  deps: RollbackDeps,
  request: RollbackRequest,
  steps: ChangeSteps,
): Promise<RollbackResult> {
  // A private folder, removed at the end: the clone is read with the
  // integration's Git credentials and must not outlive the rollback.
  const scratch = await fs.mkdtemp(
    path.join(os.tmpdir(), 'ml-gitops-rollback-'),
  );
  try {
    return await rollbackIn(deps, request, steps, scratch);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

async function rollbackIn(
  deps: RollbackDeps,
  request: RollbackRequest,
  steps: ChangeSteps,
  scratchDir: string,
): Promise<RollbackResult> {
  const { writer, environments } = deps;
  const { loc, manifestPath, environment, reason, toVersion, rejectVersion } =
    request;
  const { logger } = steps;
  const remoteUrl = deps.remoteUrl ?? (l => `${l.url}.git`);
  const maxHistory = deps.maxHistory ?? 500;
  const dir = path.join(scratchDir, 'repo');
  const git = new GitCli(dir, {
    token: await writer.getToken(loc),
    tokenUser: writer.gitTokenUser(loc),
    author: request.author,
  });

  logger.info(`Cloning branch ${environment} of ${loc.url}`);
  try {
    await git.run(
      [
        'clone',
        '--quiet',
        '--no-tags',
        '--single-branch',
        '--branch',
        environment,
        remoteUrl(loc),
        dir,
      ],
      { cwd: scratchDir },
    );
  } catch (error) {
    if (
      error instanceof GitCommandError &&
      /Remote branch .* not found/i.test(error.stderr)
    ) {
      throw new InputError(
        `The config repo ${loc.url} has no branch "${environment}"; every environment needs a branch of the same name`,
      );
    }
    throw error;
  }
  const baseHead = (await git.run(['rev-parse', 'HEAD'])).trim();

  const versions = new Map<string, string | null>();
  const versionAt = async (rev: string): Promise<string | null> => {
    if (versions.has(rev)) return versions.get(rev)!;
    const text = await git.tryRun(['show', `${rev}:${manifestPath}`]);
    let version: string | null = null;
    if (text !== undefined) {
      const parsed = parseModelManifest(text, { path: manifestPath });
      version = parsed.ok ? parsed.manifest.model_version : null;
    }
    versions.set(rev, version);
    return version;
  };

  const headText = await git.tryRun(['show', `HEAD:${manifestPath}`]);
  const headParsed =
    headText === undefined
      ? undefined
      : parseModelManifest(headText, { path: manifestPath });
  if (!headText || !headParsed?.ok) {
    throw new InputError(
      `${manifestPath} on ${environment} is ${
        headText === undefined ? 'missing' : 'invalid'
      }; fix the branch before rolling back`,
    );
  }
  const model = request.model ?? headParsed.manifest.model_name;

  const changes = await versionChanges(git, versionAt, maxHistory, {
    environments,
    environment,
  });
  const { current, candidates, rolledBackFrom } = rollbackCandidates(changes);
  if (
    request.expectVersion !== undefined &&
    (current ?? headParsed.manifest.model_version) !== request.expectVersion
  ) {
    throw new RollbackRefusedError(
      'moved-on',
      `${environment} no longer declares ${model} version ${
        request.expectVersion
      } (it declares ${
        current ?? headParsed.manifest.model_version
      }); nothing to roll back`,
    );
  }
  if (request.refuseWhenDeclaredByRollback && changes[0]?.rollback) {
    throw new RollbackRefusedError(
      'declared-by-rollback',
      `${environment} declares ${model} version ${
        changes[0].version
      } through a rollback (${changes[0].sha.slice(0, 7)}, "${
        changes[0].subject
      }"); rolling a rollback back is left to people`,
    );
  }
  if (!current || candidates.length === 0) {
    throw new RollbackRefusedError(
      'no-candidate',
      `Nothing to roll back on ${environment}: no earlier version of ${model} served there${
        rolledBackFrom.size > 0
          ? ` that was not itself rolled back from (rolled back from: ${[
              ...rolledBackFrom,
            ].join(', ')})`
          : ''
      } in the last ${maxHistory} commits of ${manifestPath}`,
    );
  }

  // The registry: a rejected version is never a rollback target.
  const registry = deps.registryFor({
    registryName: request.registryName,
    manifest: headParsed.manifest,
  });
  const to = await chooseRollbackTarget(registry, {
    model,
    environment,
    current,
    changes,
    candidates,
    toVersion,
    logger,
  });
  logger.info(
    `${environment} serves ${current}; rolling back to ${to}${
      rolledBackFrom.size > 0
        ? ` (skipping versions rolled back from: ${[...rolledBackFrom].join(
            ', ',
          )})`
        : ''
    }`,
  );

  const last = changes[0];
  const title = `Roll back ${model} in ${environment}: ${current} → ${to}`;
  const trailer = changeTrailer('rollback');
  let method: 'revert' | 'value' = 'value';
  if (!last.rollback && last.previous === to) {
    const mainline = last.parents.length > 1 ? ['-m', '1'] : [];
    try {
      await git.run(['revert', '--no-edit', ...mainline, last.sha]);
      const reverted = await versionAt(
        (await git.run(['rev-parse', 'HEAD'])).trim(),
      );
      if (reverted === to) {
        method = 'revert';
        const message = (
          await git.run(['log', '-1', '--format=%B', 'HEAD'])
        ).trimEnd();
        await git.run([
          'commit',
          '--quiet',
          '--amend',
          '-m',
          `${message}\n\nRoll back ${model} in ${environment} to ${to}: ${reason}\n\n${trailer}`,
        ]);
      } else {
        await git.run(['reset', '--quiet', '--hard', baseHead]);
      }
    } catch (error) {
      if (!(error instanceof GitCommandError)) throw error;
      await git.tryRun(['revert', '--abort']);
      await git.run(['reset', '--quiet', '--hard', baseHead]);
      logger.info(
        `Reverting ${last.sha.slice(
          0,
          7,
        )} does not apply cleanly to ${environment}; setting model_version instead`,
      );
    }
  }
  if (method === 'value') {
    // Only a commit that sets the value needs the storage location: a
    // revert brings back the storage_uri the reverted commit replaced.
    const storageUri =
      headParsed.manifest.storage_uri === undefined
        ? undefined
        : await resolveStorageLocation(registry, model, to);
    await fs.writeFile(
      path.join(dir, manifestPath),
      setModelVersion(headText, to, storageUri ? { storageUri } : {}),
    );
    await git.run(['add', '--', manifestPath]);
    await git.run([
      'commit',
      '--quiet',
      '-m',
      `${title}\n\nmodel_version ${current} → ${to}${
        storageUri ? `, storage_uri ${storageUri}` : ''
      }. Reason: ${reason}\n\n${trailer}`,
    ]);
  }
  const commit = (await git.run(['rev-parse', 'HEAD'])).trim();

  const change = branchChange(
    'rollback',
    loc,
    { manifestPath, model },
    environment,
    to,
  );
  const { branch } = change;
  const how =
    method === 'revert'
      ? `Reverts the last deployment commit [${last.sha.slice(0, 7)}](${
          loc.url
        }/commit/${last.sha}) ("${markdownText(last.subject)}")${
          last.parents.length > 1 ? ' against its first parent (a merge)' : ''
        } with \`git revert\`.`
      : `Sets \`model_version\` in \`${manifestPath}\` to \`${to}\`: the last deployment (${last.sha.slice(
          0,
          7,
        )}, "${markdownText(
          last.subject,
        )}") is not a plain change from ${to}, so a revert would not bring it back.`;
  const body = [
    `Rolls **${model}** in **${environment}** back from version \`${current}\` to \`${to}\`.`,
    '',
    `**Reason:** ${markdownText(reason)}`,
    '',
    how,
    '',
    `${to} is ${
      toVersion
        ? 'the version asked for'
        : 'the newest earlier version that served here and was not itself rolled back from'
    }${
      rolledBackFrom.size > 0
        ? ` (rolled back from before: ${[...rolledBackFrom].join(', ')})`
        : ''
    }. ${
      rejectVersion
        ? `Version ${current} is marked rejected in the registry ${registry.name}, so it is not deployed again until someone un-rejects it.`
        : `Version ${current} is left as it is in the registry (rejectVersion: false).`
    }`,
    '',
    'Merging this pull request rolls back.',
    '',
    request.openedBy,
  ].join('\n');
  const result: RollbackResult = {
    branch,
    previousVersion: to,
    rolledBackFrom: current,
    method,
    ...(method === 'revert' ? { revertedCommit: last.sha } : {}),
    title,
    registry: {
      name: registry.name,
      ...(registry.problem ? { problem: registry.problem } : {}),
    },
  };

  if (request.dryRun) {
    logger.info(
      `Dry run: would push the rollback (${method}) to ${branch} and open "${title}" into ${environment}${
        rejectVersion ? `, and mark ${current} rejected` : ''
      }`,
    );
    return result;
  }

  await steps.checkpoint({
    key: `ml-gitops.rollback.push.${loc.owner}.${loc.repo}.${branch}@${baseHead}`,
    fn: async () => {
      await pushOneCommitBranch(git, logger, branch, baseHead, commit);
    },
  });
  result.pullRequest = await openChangePullRequest(steps, writer, change, {
    title,
    body,
    record: {
      kind: 'rollback',
      environment,
      from: current,
      to,
      reason,
      rejected: rejectVersion,
      ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
    },
    environments,
  });
  if (rejectVersion) {
    const rejectedFrom = current;
    await steps.checkpoint({
      key: `ml-gitops.rollback.reject.${loc.owner}.${loc.repo}.${model}.${rejectedFrom}`,
      fn: async () => {
        if (!registry.client) {
          logger.warn(
            `Version ${rejectedFrom} is not marked rejected: ${registry.problem}`,
          );
          return;
        }
        await registry.client.rejectVersion(model, rejectedFrom, {
          reason,
          by: request.rejectedBy,
          at: new Date().toISOString(),
        });
        logger.info(
          `Marked ${model} version ${rejectedFrom} rejected in the registry ${registry.name}`,
        );
      },
    });
  }
  return result;
}
