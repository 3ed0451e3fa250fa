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

import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { InputError } from '@backstage/errors';
import {
  ConfigRepoLocation,
  GitHostWriter,
} from '@ml-gitops/plugin-ml-gitops-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { VALIDATE_CHECK } from './configRepoFiles';
import { GitCli, GitCommandError } from './gitCli';
import { MlGitopsActionsConfig, validateCheckAppId } from './config';

// The new config repo on GitHub: its creation, first push, default branch, code owners' access and branch protection.

/** What the steps need of the action context. */
type StepContext = Pick<
  ActionContext<any, any, any>,
  'logger' | 'checkpoint' | 'workspacePath'
>;

/**
 * Creates the repository, pushes `files` to every environment branch, makes
 * the first environment the default branch, gives the code owners write
 * access and protects the branches (the last one needs a code owner's
 * review). Each step is one `ctx.checkpoint`, so a retried task does not
 * repeat what already happened.
 */
export async function setUpConfigRepo(
  ctx: StepContext,
  writer: GitHostWriter,
  config: MlGitopsActionsConfig,
  options: {
    loc: ConfigRepoLocation;
    remoteUrl: string;
    environments: string[];
    files: Record<string, string>;
    model: string;
    version: string;
    owners: string[];
    description?: string;
    visibility?: 'private' | 'internal' | 'public';
  },
): Promise<void> {
  const { loc, environments, files, model, version, owners } = options;
  await ctx.checkpoint({
    key: `ml-gitops.config-repo.create.${loc.owner}.${loc.repo}`,
    fn: async () => {
      const result = await writer.createRepository(loc, {
        description:
          options.description ??
          `Which version of ${model} serves where (ml-gitops config repo)`,
        visibility: options.visibility ?? 'private',
      });
      ctx.logger.info(
        result.created
          ? `Created ${result.url}`
          : `${result.url} exists; continuing`,
      );
    },
  });

  await ctx.checkpoint({
    key: `ml-gitops.config-repo.push.${loc.owner}.${loc.repo}`,
    fn: async () => {
      await fs.mkdir(ctx.workspacePath, { recursive: true });
      const dir = path.join(ctx.workspacePath, 'ml-gitops-config-repo');
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(dir, { recursive: true });
      const git = new GitCli(dir, {
        token: await writer.getToken(loc),
        tokenUser: writer.gitTokenUser(loc),
        author: {
          name: 'ML GitOps',
          email: 'ml-gitops@users.noreply.backstage.io',
        },
      });
      await git.run(['init', '--quiet', '-b', environments[0]]);
      await git.run(['remote', 'add', 'origin', options.remoteUrl]);
      const pushed = await git.run(['ls-remote', '--heads', 'origin']);
      if (pushed.trim()) {
        ctx.logger.info('The environment branches were already pushed');
        return;
      }
      for (const [file, content] of Object.entries(files)) {
        const full = path.join(dir, file);
        await fs.mkdir(path.dirname(full), { recursive: true });
        await fs.writeFile(full, content);
      }
      await git.run(['add', '-A']);
      await git.run([
        'commit',
        '--quiet',
        '-m',
        `Create the config repo of ${model} at version ${version}`,
      ]);
      try {
        await git.run([
          'push',
          '--quiet',
          'origin',
          ...environments.map(e => `HEAD:refs/heads/${e}`),
        ]);
      } catch (error) {
        throw workflowPermissionError(error, loc.host) ?? error;
      }
      ctx.logger.info(`Pushed branches ${environments.join(', ')}`);
    },
  });

  await ctx.checkpoint({
    key: `ml-gitops.config-repo.default-branch.${loc.owner}.${loc.repo}`,
    fn: async () => {
      await writer.setDefaultBranch(loc, environments[0]);
    },
  });

  await ctx.checkpoint({
    key: `ml-gitops.config-repo.access.${loc.owner}.${loc.repo}`,
    fn: async () => {
      // Code owners' reviews count only with write access, so without
      // this nobody could approve a production pull request.
      const access = await writer.grantAccess(loc, owners);
      for (const { owner, permission } of access.granted) {
        ctx.logger.info(`Gave ${owner} ${permission} access to ${loc.url}`);
      }
      for (const { owner, reason } of access.skipped) {
        ctx.logger.warn(
          `Could not give ${owner} access to ${
            loc.url
          }: ${reason}. Until someone in CODEOWNERS has write access, no review can approve a ${environments.at(
            -1,
          )} pull request`,
        );
      }
    },
  });

  for (const [index, environment] of environments.entries()) {
    const last = index === environments.length - 1;
    await ctx.checkpoint({
      key: `ml-gitops.config-repo.protect.${loc.owner}.${loc.repo}.${environment}`,
      fn: async () => {
        const appId = validateCheckAppId(config, loc.host);
        await writer.protectBranch(loc, environment, {
          checks: [{ context: VALIDATE_CHECK, appId }],
          approvals: last ? 1 : 0,
        });
        ctx.logger.info(
          `Protected ${environment}: pull requests passing ${VALIDATE_CHECK}${
            appId === undefined
              ? ' (set by any app; configure mlGitops.validateCheckAppId to bind it to GitHub Actions)'
              : ` set by app ${appId}`
          }${last ? ", with a code owner's approval" : ''}`,
        );
      },
    });
  }
}

/**
 * GitHub refuses a push that creates or changes `.github/workflows/*`
 * unless the credentials may write workflows: a GitHub App needs the
 * "Workflows" repository permission, an OAuth app or classic token the
 * `workflow` scope (docs.github.com, "Permissions required for GitHub
 * Apps"; the remote answers "refusing to allow … to create or update
 * workflow … without `workflows` permission"). The validate workflow is
 * part of every config repo, so this names what to grant.
 */
export function workflowPermissionError(
  error: unknown,
  host: string,
): InputError | undefined {
  if (!(error instanceof GitCommandError)) return undefined;
  const refusal =
    /refusing to allow an? ([^\n]*?) to create or update workflow `?([^`\s]+)`? without `?(workflows?)`? (permission|scope)/i.exec(
      error.stderr,
    );
  if (!refusal) return undefined;
  const [, who, file, grant, kind] = refusal;
  return new InputError(
    `GitHub refused to push ${file}: the ${who} of integrations.github for ${host} lacks the \`${grant}\` ${kind}. ${
      /app/i.test(who) && !/oauth/i.test(who)
        ? 'Give the GitHub App the "Workflows: Read and write" repository permission (and accept it in each installation)'
        : 'Give the token the `workflow` scope (fine-grained tokens: "Workflows: Read and write")'
    }, then run the task again; the repository exists and is reused.`,
  );
}
