import { InputError, isError } from '@backstage/errors';
import {
  changeTrailer,
  deploymentKindOf,
  markdownText,
  ModelManifest,
  parseModelManifest,
  resolveServingArtifact,
  rollbackCandidates,
  setModelVersion,
  versionRejection,
} from '@ml-gitops/plugin-ml-gitops-common';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  branchChange,
  ChangeSteps,
  CommitAuthor,
  openChangePullRequest,
  PullRequestRef,
} from '../git/changePullRequest';
import { GitCli, GitCommandError } from '../git/gitCli';
import { ConfigRepoLocation } from '../git/configRepoTypes';
import { GithubConfigRepoWriter } from '../git/GithubConfigRepoWriter';
import { RegistryAccess } from '../registries';

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
 * Why no rollback was proposed, for callers that tell the cases apart (the
 * automatic rollback notifies owners that no candidate exists).
 *
 * @public
 */
export type RollbackRefusal =
  /** No earlier version served that is neither rolled back from nor rejected. */
  | 'no-candidate'
  /** The environment declares another version than the caller expected. */
  | 'moved-on'
  /** The declared version was itself brought back by a rollback. */
  | 'declared-by-rollback';

/**
 * A rollback that cannot be proposed, with the reason; an InputError, so the
 * scaffolder shows its message as the step's failure.
 *
 * @public
 */
export class RollbackRefusedError extends InputError {
  constructor(readonly refusal: RollbackRefusal, message: string) {
    super(message);
  }
}

/**
 * One commit of the environment's first-parent history that changed the version.
 *
 * @public
 */
export type VersionChange = {
  sha: string;
  parents: string[];
  subject: string;
  /** The version the commit set. */
  version: string;
  /** The version before it, or null for the first declaration. */
  previous: string | null;
  rollback: boolean;
};

/**
 * What a rollback runs with, whoever asks for it.
 *
 * @public
 */
export type RollbackDeps = {
  writer: GithubConfigRepoWriter;
  /** The promotion order, to read what commits and branches say. */
  environments: readonly string[];
  /** The registry of the model: `registryAccess` over the configured ones. */
  registryFor(options: {
    registryName?: string;
    manifest: ModelManifest;
  }): RegistryAccess;
  /**
   * The URL git clones and pushes; defaults to `<repo URL>.git` over HTTPS.
   * Tests point it at a local bare repository.
   */
  remoteUrl?: (loc: ConfigRepoLocation) => string;
  /** How many first-parent commits to search for deployments (default 500). */
  maxHistory?: number;
};

/**
 * One rollback to propose.
 *
 * @public
 */
export type RollbackRequest = {
  loc: ConfigRepoLocation;
  manifestPath: string;
  environment: string;
  /** The model name from the entity; the manifest's otherwise. */
  model?: string;
  registryName?: string;
  reason: string;
  /** A version to go back to instead of the newest candidate. */
  toVersion?: string;
  /** Mark the version left rejected in the registry. */
  rejectVersion: boolean;
  /** The author of the rollback commit. */
  author: CommitAuthor;
  /** Who asked, for the pull request's record (a user entity ref). */
  requestedBy?: string;
  /** Who the registry records as rejecting the version left. */
  rejectedBy: string;
  /** The last line of the pull request body: who opened it, for whom. */
  openedBy: string;
  /**
   * Only roll back while the environment declares this version; otherwise
   * refuse with `moved-on` (the automatic rollback's incident is over).
   */
  expectVersion?: string;
  /** Refuse with `declared-by-rollback` when the last change was a rollback. */
  refuseWhenDeclaredByRollback?: boolean;
  /** Work out the rollback, push and open nothing. */
  dryRun?: boolean;
};

/**
 * What a rollback proposed (or, in a dry run, would propose).
 *
 * @public
 */
export type RollbackResult = {
  branch: string;
  /** The version the rollback brings back. */
  previousVersion: string;
  /** The version the environment leaves. */
  rolledBackFrom: string;
  method: 'revert' | 'value';
  /** The deployment commit reverted, when the rollback is a git revert. */
  revertedCommit?: string;
  title: string;
  /** Absent in a dry run. */
  pullRequest?: PullRequestRef;
  /** The registry the rejection went to, and why it did not when it did not. */
  registry: { name: string; problem?: string };
};

function errorMessage(error: unknown): string {
  return isError(error) ? error.message : String(error);
}

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
  const rejection = async (version: string) => {
    if (!registry.client) return undefined;
    try {
      const found = await registry.client.getModelVersion(model, version);
      return found ? versionRejection(found) : undefined;
    } catch (error) {
      logger.warn(
        `Could not read ${model} version ${version} from the registry ${
          registry.name
        }: ${errorMessage(error)}`,
      );
      return undefined;
    }
  };

  let to: string | undefined;
  if (toVersion) {
    if (toVersion === current) {
      throw new InputError(
        `${environment} already declares ${model} version ${toVersion}; pick an earlier version to roll back to`,
      );
    }
    const served = changes.some(
      c => c.version === toVersion || c.previous === toVersion,
    );
    if (!served) {
      throw new InputError(
        `toVersion ${toVersion} never served in ${environment} (versions there: ${[
          ...new Set(changes.flatMap(c => [c.version, c.previous])),
        ]
          .filter(Boolean)
          .join(
            ', ',
          )}); a rollback goes back to a version that served, deploy others with ml-gitops:deploy`,
      );
    }
    const rejected = await rejection(toVersion);
    if (rejected) {
      throw new InputError(
        `${model} version ${toVersion} is rejected in the registry${
          rejected.reason ? `: "${rejected.reason}"` : ''
        }; pick another version, or un-reject it first with ml-gitops:version:unreject`,
      );
    }
    to = toVersion;
  } else {
    for (const candidate of candidates) {
      const rejected = await rejection(candidate);
      if (rejected) {
        logger.info(
          `Skipping version ${candidate}: rejected in the registry${
            rejected.reason ? ` ("${rejected.reason}")` : ''
          }`,
        );
        continue;
      }
      to = candidate;
      break;
    }
    if (!to) {
      throw new RollbackRefusedError(
        'no-candidate',
        `Every earlier version of ${model} that served in ${environment} is rejected or was rolled back from (${candidates.join(
          ', ',
        )}); un-reject one with ml-gitops:version:unreject or give toVersion`,
      );
    }
  }
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
        await registry.client.rejectModelVersion(model, rejectedFrom, {
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

/**
 * Pushes `commit` (one commit on `baseHead`) as `branch`. A branch that
 * already holds the same change on the same base is kept; one left by an
 * earlier state of the environment is replaced (only ML GitOps writes its
 * change branches).
 */
async function pushOneCommitBranch(
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
async function versionChanges(
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

/**
 * Where KServe loads a version from (the manifest's `storage_uri`), from
 * the registry; refused when the registry cannot say or KServe could not
 * read it, as the cluster would otherwise serve other bytes than the
 * version named (`force` cannot override this). The rollback core and the
 * deploy and promote actions ask it alike.
 *
 * @public
 */
export async function resolveStorageLocation(
  registry: RegistryAccess,
  model: string,
  version: string,
): Promise<string> {
  const what = `where ${model} version ${version} is stored (storage_uri)`;
  const client = registry.client;
  if (!client) {
    throw new InputError(`Cannot find ${what}: ${registry.problem}`);
  }
  let artifact;
  try {
    artifact = await resolveServingArtifact(client, model, version);
  } catch (error) {
    throw new InputError(
      `Cannot find ${what}: the registry ${
        registry.name
      } could not be asked (${errorMessage(error)}); try again`,
    );
  }
  if (!artifact) {
    throw new InputError(
      `Cannot find ${what}: the registry ${registry.name} has no such version`,
    );
  }
  if (!artifact.ok) {
    throw new InputError(
      `Cannot set ${what}: ${artifact.problem}. ${artifact.fix}.`,
    );
  }
  return artifact.storageUri;
}
