import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  mlGitopsDeploymentRollbackPermission,
  mlGitopsVersionRejectPermission,
  parseModelManifest,
  rollbackCandidates,
  setModelVersion,
  versionRejection,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  changeKindOfMessage,
  changeTrailer,
  ConfigRepoLocation,
  markdownText,
} from '@ml-gitops/plugin-ml-gitops-node';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { examples } from './rollback.examples';
import { GitCli, GitCommandError } from './gitCli';
import {
  checkNonEmptyText,
  manifestPathInput,
  pullRequestOutput,
  targetInput,
} from './inputs';
import {
  branchChange,
  initiatorAuthor,
  openChangePullRequest,
  openedBy,
} from './pullRequest';
import {
  authorizeChange,
  checkEnvironment,
  checkVersion,
  createGitClients,
  errorMessage,
  MlGitopsActionOptions,
  registryFor,
  storageUriFor,
  resolveTarget,
} from './shared';

/** Options of {@link createRollbackAction}. */
export type RollbackActionOptions = MlGitopsActionOptions & {
  /**
   * The URL git clones and pushes; defaults to `<repo URL>.git` over HTTPS.
   * Tests point it at a local bare repository.
   */
  remoteUrl?: (loc: ConfigRepoLocation) => string;
  /** How many first-parent commits to search for deployments (default 500). */
  maxHistory?: number;
};

/** One commit of the environment's first-parent history that changed the version. */
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
 * Whether a version-changing commit is a rollback, read from the commit
 * alone as the actions and people write them (see `changeKindOfMessage`),
 * or a squashed rollback pull request's title.
 */
function isRollbackCommit(
  message: string,
  environments: readonly string[],
): boolean {
  const said = changeKindOfMessage(message, environments);
  if (said) return said === 'rollback';
  return /^(roll ?back|revert)\b/i.test(message);
}

/**
 * `ml-gitops:rollback`: opens a pull request that brings an environment
 * back to the newest earlier version that served there and was not itself
 * rolled back from (or to `toVersion`), with a reason; by default it marks
 * the version it leaves as rejected in the registry.
 *
 * @public
 */
export function createRollbackAction(options: RollbackActionOptions) {
  const { reader, writer } = createGitClients(options);
  const remoteUrl = options.remoteUrl ?? (loc => `${loc.url}.git`);
  const maxHistory = options.maxHistory ?? 500;

  return createTemplateAction({
    id: 'ml-gitops:rollback',
    description:
      'Opens a pull request that brings an environment back to the newest earlier version that served there and was not itself rolled back from (a git revert of the last deployment when that is a plain deploy or promotion), with a reason; marks the version it leaves as rejected in the registry unless told not to.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...targetInput,
        ...manifestPathInput,
        environment: z =>
          z
            .string()
            .describe('The environment (branch) to roll back, e.g. production'),
        reason: z =>
          z
            .string()
            .describe(
              'Why the environment is rolled back; written in the pull request, the history and the notification',
            ),
        toVersion: z =>
          z
            .string()
            .describe(
              'The version to go back to: any earlier version that served in the environment and is not rejected; default the newest one not rolled back from',
            )
            .optional(),
        rejectVersion: z =>
          z
            .boolean()
            .describe(
              'Mark the version rolled back from as rejected in the registry, so it is not deployed again (default true)',
            )
            .optional(),
      },
      output: {
        ...pullRequestOutput('The branch holding the rollback'),
        revertedCommit: z =>
          z
            .string()
            .describe(
              'The deployment commit reverted, when the rollback is a git revert',
            )
            .optional(),
        previousVersion: z =>
          z.string().describe('The version the rollback brings back'),
        rolledBackFrom: z =>
          z.string().describe('The version the environment leaves'),
        method: z =>
          z
            .enum(['revert', 'value'])
            .describe(
              'revert: a git revert of the last deployment; value: a commit setting model_version',
            ),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const environment = checkEnvironment(
        options.config,
        input.environment,
        'environment',
      );
      const reason = checkNonEmptyText(input.reason, 'reason', 1000);
      const toVersion =
        input.toVersion === undefined || input.toVersion === ''
          ? undefined
          : checkVersion(input.toVersion, 'toVersion');
      const rejectVersion = input.rejectVersion !== false;
      const target = await resolveTarget(ctx, options, reader, input, {
        permission: mlGitopsDeploymentRollbackPermission,
        what: 'roll back',
      });
      if (rejectVersion) {
        await authorizeChange(
          ctx,
          options,
          mlGitopsVersionRejectPermission,
          `mark the version left by this rollback rejected for ${target.entityRef} (set rejectVersion: false to roll back without rejecting)`,
          target.entityRef,
        );
      }
      const { loc, manifestPath } = target;
      ctx.logger.info(
        `Rolling back ${environment} of ${loc.url} (${manifestPath})`,
      );

      // A private folder outside the task workspace, removed at the end: the
      // scaffolder returns the workspace of a dry run to the caller, and the
      // clone is read with the server's Git credentials.
      const scratch = await fs.mkdtemp(
        path.join(os.tmpdir(), 'ml-gitops-rollback-'),
      );
      try {
        await rollbackIn(scratch);
      } finally {
        await fs.rm(scratch, { recursive: true, force: true });
      }

      async function rollbackIn(scratchDir: string) {
        const dir = path.join(scratchDir, 'repo');
        const git = new GitCli(dir, {
          token: await writer.getToken(loc),
          author: initiatorAuthor(ctx),
        });

        ctx.logger.info(`Cloning branch ${environment} of ${loc.url}`);
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
        const model = target.model ?? headParsed.manifest.model_name;

        const changes = await versionChanges(
          git,
          versionAt,
          options.config.environments,
          maxHistory,
        );
        const { current, candidates, rolledBackFrom } =
          rollbackCandidates(changes);
        if (!current || candidates.length === 0) {
          throw new InputError(
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
        const registry = await registryFor(options.config, {
          registryName: target.registryName,
          manifest: headParsed.manifest,
        });
        const rejection = async (version: string) => {
          if (!registry.client) return undefined;
          try {
            const found = await registry.client.getModelVersion(model, version);
            return found ? versionRejection(found) : undefined;
          } catch (error) {
            ctx.logger.warn(
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
              ctx.logger.info(
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
            throw new InputError(
              `Every earlier version of ${model} that served in ${environment} is rejected or was rolled back from (${candidates.join(
                ', ',
              )}); un-reject one with ml-gitops:version:unreject or give toVersion`,
            );
          }
        }
        ctx.logger.info(
          `${environment} serves ${current}; rolling back to ${to}${
            rolledBackFrom.size > 0
              ? ` (skipping versions rolled back from: ${[
                  ...rolledBackFrom,
                ].join(', ')})`
              : ''
          }`,
        );

        // Only a commit that sets the value needs it: a revert brings back
        // the storage_uri the reverted commit replaced.
        const storageUri = await storageUriFor(options.config, {
          registryName: target.registryName,
          manifest: headParsed.manifest,
          model,
          version: to,
        });

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
            ctx.logger.info(
              `Reverting ${last.sha.slice(
                0,
                7,
              )} does not apply cleanly to ${environment}; setting model_version instead`,
            );
          }
        }
        if (method === 'value') {
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
                last.parents.length > 1
                  ? ' against its first parent (a merge)'
                  : ''
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
          openedBy('ml-gitops:rollback', ctx, target.entityRef),
        ].join('\n');
        ctx.output('previousVersion', to);
        ctx.output('rolledBackFrom', current);
        ctx.output('method', method);
        if (method === 'revert') ctx.output('revertedCommit', last.sha);

        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would push the rollback (${method}) to ${branch} and open "${title}" into ${environment}${
              rejectVersion ? `, and mark ${current} rejected` : ''
            }`,
          );
          ctx.output('branch', branch);
          return;
        }

        await ctx.checkpoint({
          key: `ml-gitops.rollback.push.${loc.owner}.${loc.repo}.${branch}@${baseHead}`,
          fn: async () => {
            await pushOneCommitBranch(
              git,
              ctx.logger,
              branch,
              baseHead,
              commit,
            );
          },
        });
        await openChangePullRequest(ctx, writer, change, {
          title,
          body,
          record: {
            kind: 'rollback',
            environment,
            from: current,
            to,
            reason,
            rejected: rejectVersion,
            ...(ctx.user?.ref ? { requestedBy: ctx.user.ref } : {}),
          },
          environments: options.config.environments,
        });
        if (rejectVersion) {
          await ctx.checkpoint({
            key: `ml-gitops.rollback.reject.${loc.owner}.${loc.repo}.${model}.${current}`,
            fn: async () => {
              if (!registry.client) {
                ctx.logger.warn(
                  `Version ${current} is not marked rejected: ${registry.problem}`,
                );
                return;
              }
              await registry.client.rejectModelVersion(model, current, {
                reason,
                by: ctx.user?.ref ?? 'unknown',
                at: new Date().toISOString(),
              });
              ctx.logger.info(
                `Marked ${model} version ${current} rejected in the registry ${registry.name}`,
              );
            },
          });
        }
      }
    },
  });
}

/**
 * Pushes `commit` (one commit on `baseHead`) as `branch`. A branch that
 * already holds the same change on the same base is kept; one left by an
 * earlier state of the environment is replaced (only the actions write
 * their change branches).
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
 * history.
 */
async function versionChanges(
  git: GitCli,
  versionAt: (rev: string) => Promise<string | null>,
  environments: readonly string[],
  maxHistory: number,
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
    changes.push({
      sha,
      parents,
      subject: message.split('\n')[0],
      version,
      previous,
      rollback: isRollbackCommit(message, environments),
    });
  }
  return changes;
}
