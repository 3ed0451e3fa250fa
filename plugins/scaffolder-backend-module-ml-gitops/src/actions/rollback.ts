import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  mlGitopsDeploymentRollbackPermission,
  parseModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import { ConfigRepoLocation } from '@ml-gitops/plugin-ml-gitops-node';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { examples } from './rollback.examples';
import { GitCli, GitCommandError } from './gitCli';
import { manifestPathInput, pullRequestOutput, targetInput } from './inputs';
import { branchChange, openedBy, proposeOnBranch } from './pullRequest';
import {
  checkEnvironment,
  createGitClients,
  MlGitopsActionOptions,
  resolveTarget,
} from './shared';

/** Options of {@link createRollbackAction}. */
export type RollbackActionOptions = MlGitopsActionOptions & {
  /**
   * The URL git clones and pushes; defaults to `<repo URL>.git` over HTTPS.
   * Tests point it at a local bare repository.
   */
  remoteUrl?: (loc: ConfigRepoLocation) => string;
  /** How many first-parent commits to search for the last deployment (default 500). */
  maxHistory?: number;
};

type LastDeployment = {
  sha: string;
  parents: string[];
  subject: string;
  current: string;
  previous: string;
};

/**
 * `ml-gitops:rollback`: opens a pull request that `git revert`s the last
 * deployment commit of an environment's branch.
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
      "Opens a pull request that reverts (git revert) the last deployment commit of an environment's branch, bringing back the previous model version.",
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
      },
      output: {
        ...pullRequestOutput('The branch holding the revert'),
        revertedCommit: z =>
          z.string().describe('The deployment commit that is reverted'),
        previousVersion: z =>
          z.string().describe('The version the rollback brings back'),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const environment = checkEnvironment(
        options.config,
        input.environment,
        'environment',
      );
      const target = await resolveTarget(ctx, options, reader, input, {
        permission: mlGitopsDeploymentRollbackPermission,
        what: 'roll back',
      });
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
        const profile = ctx.user?.entity?.spec?.profile;
        const git = new GitCli(dir, {
          token: await writer.getToken(loc),
          author: {
            name:
              profile?.displayName ??
              ctx.user?.entity?.metadata.name ??
              'ML GitOps',
            email: profile?.email ?? 'ml-gitops@users.noreply.backstage.io',
          },
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

        const last = await findLastDeployment(
          git,
          versionAt,
          environment,
          manifestPath,
          maxHistory,
        );
        const model =
          target.model ??
          (await (async () => {
            const text = await git.run(['show', `HEAD:${manifestPath}`]);
            const parsed = parseModelManifest(text, { path: manifestPath });
            return parsed.ok ? parsed.manifest.model_name : 'model';
          })());
        const short = last.sha.slice(0, 7);
        ctx.logger.info(
          `The last deployment of ${environment} is ${short} ("${last.subject}"): ${last.previous} → ${last.current}`,
        );

        const mainline = last.parents.length > 1 ? ['-m', '1'] : [];
        try {
          await git.run(['revert', '--no-edit', ...mainline, last.sha]);
        } catch (error) {
          if (!(error instanceof GitCommandError)) throw error;
          const conflicted = (
            (await git.tryRun(['diff', '--name-only', '--diff-filter=U'])) ?? ''
          )
            .split('\n')
            .filter(Boolean);
          await git.tryRun(['revert', '--abort']);
          if (conflicted.length > 0) {
            throw new InputError(
              `Reverting ${short} ("${
                last.subject
              }") on ${environment} conflicts in ${conflicted.join(
                ', ',
              )}: later commits changed the same lines. Resolve the revert by hand, or deploy version ${
                last.previous
              } with ml-gitops:deploy.`,
            );
          }
          throw new InputError(
            `Reverting ${short} ("${
              last.subject
            }") on ${environment} failed: ${error.stderr.trim()}`,
          );
        }
        const reverted = await versionAt(
          (await git.run(['rev-parse', 'HEAD'])).trim(),
        );
        if (reverted === null || reverted === last.current) {
          throw new InputError(
            `Reverting ${short} ("${last.subject}") on ${environment} does not change model_version (it stays ${last.current}); roll back with ml-gitops:deploy instead`,
          );
        }

        const change = branchChange(ctx, 'rollback', loc, environment, short);
        const { branch } = change;
        const title = `Rollback ${model} in ${environment}: ${last.current} → ${reverted}`;
        const body = [
          `Rolls **${model}** in **${environment}** back from version \`${last.current}\` to \`${reverted}\`.`,
          '',
          `Reverts the last deployment commit [${short}](${loc.url}/commit/${
            last.sha
          }) ("${last.subject}")${
            mainline.length
              ? ' (a merge; reverted against its first parent)'
              : ''
          } with \`git revert\`. Merging this pull request rolls back.`,
          '',
          openedBy('ml-gitops:rollback', ctx, target.entityRef),
        ].join('\n');
        ctx.output('revertedCommit', last.sha);
        ctx.output('previousVersion', reverted);

        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would push the revert to ${branch} and open "${title}" into ${environment}`,
          );
          ctx.output('branch', branch);
          return;
        }

        const pullRequest = { title, body, label: 'ml-gitops/rollback' };
        await proposeOnBranch(ctx, writer, change, pullRequest, {
          step: 'push',
          fn: async () => {
            const existing = await git.run([
              'ls-remote',
              '--heads',
              'origin',
              `refs/heads/${branch}`,
            ]);
            if (existing.trim()) {
              ctx.logger.info(
                `Branch ${branch} was already pushed; reusing it`,
              );
              return;
            }
            await git.run([
              'push',
              '--quiet',
              'origin',
              `HEAD:refs/heads/${branch}`,
            ]);
            ctx.logger.info(`Pushed the revert to ${branch}`);
          },
        });
      }
    },
  });
}

/**
 * Walks the branch's first-parent history from its head to the newest commit
 * that changed `model_version`.
 */
async function findLastDeployment(
  git: GitCli,
  versionAt: (rev: string) => Promise<string | null>,
  environment: string,
  manifestPath: string,
  maxHistory: number,
): Promise<LastDeployment> {
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
  for (const line of lines) {
    const [sha, ...parents] = line.split(' ');
    const current = await versionAt(sha);
    if (current === null) continue;
    const previous = parents[0] ? await versionAt(parents[0]) : null;
    if (current === previous) continue;
    const subject = (await git.run(['log', '-1', '--format=%s', sha])).trim();
    if (previous === null) {
      throw new InputError(
        `Nothing to roll back on ${environment}: ${sha.slice(
          0,
          7,
        )} ("${subject}") is the first commit that declares a version in ${manifestPath} (${current}); there is no earlier version`,
      );
    }
    return { sha, parents, subject, current, previous };
  }
  throw new InputError(
    `Nothing to roll back on ${environment}: no commit in the last ${maxHistory} of its history changed model_version in ${manifestPath}`,
  );
}
