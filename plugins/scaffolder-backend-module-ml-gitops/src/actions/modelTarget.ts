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

import { InputError } from '@backstage/errors';
import { ScmIntegrationRegistry } from '@backstage/integration';
import { ResourcePermission } from '@backstage/plugin-permission-common';
import { parseRepoUrl } from '@backstage/plugin-scaffolder-node';
import {
  DEFAULT_MANIFEST_PATH,
  getMlGitopsAnnotations,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  ConfigRepoLocation,
  GitHostReader,
} from '@ml-gitops/plugin-ml-gitops-node';
import { ActionCtx, MlGitopsActionOptions } from './actionOptions';
import {
  checkEntityRef,
  checkManifestPath,
  checkRepoNames,
  checkRepoUrl,
} from './inputs';
import { authorizeChange } from './permissionChecks';

/*
 * Which model and config repo a step acts on: from its catalog entity's
 * annotations, or (config-repo:create) from a repo URL.
 */

/** The model a step acts on, resolved from its entity or repo URL. */
export type ModelTarget = {
  entityRef?: string;
  /** The model name from the entity annotation, when known. */
  model?: string;
  registryName?: string;
  manifestPath: string;
  loc: ConfigRepoLocation;
};

/** Accepts `https://github.com/o/r` and the RepoUrlPicker's `github.com?owner=o&repo=r`. */
function normalizeRepoUrl(
  repoUrl: string,
  integrations: ScmIntegrationRegistry,
): string {
  if (/^https?:\/\//.test(repoUrl)) {
    return repoUrl;
  }
  const { host, owner, repo } = parseRepoUrl(repoUrl, integrations);
  if (!owner) {
    throw new InputError(
      `repoUrl "${repoUrl}" names no owner; use e.g. github.com?owner=acme&repo=fraud-detector-config`,
    );
  }
  // A GitHub Enterprise server reached over plain HTTP (its apiBaseUrl says
  // so) serves its repositories over HTTP too.
  const apiBaseUrl = integrations.github.byHost(host)?.config.apiBaseUrl;
  const scheme = apiBaseUrl?.startsWith('http://') ? 'http' : 'https';
  return `${scheme}://${host}/${owner}/${repo}`;
}

/**
 * The model a change is for, and the check that its initiator may make it:
 * the entity is required (permissions are decided on it), and a `repoUrl`
 * given next to it must be the entity's config repo.
 */
export async function resolveTarget(
  ctx: ActionCtx,
  options: MlGitopsActionOptions,
  reader: GitHostReader,
  input: { entityRef?: string; repoUrl?: string; manifestPath?: string },
  permission: {
    permission: ResourcePermission<'catalog-entity'>;
    what: string;
  },
): Promise<ModelTarget> {
  const target = await resolveModel(ctx, options, reader, input);
  if (!target.entityRef) {
    throw new InputError(
      `entityRef is required: ${permission.what} is allowed per model, on its catalog entity (${permission.permission.name}); give the component that carries the ml-gitops annotations rather than repoUrl alone`,
    );
  }
  await authorizeChange(
    ctx,
    options,
    permission.permission,
    `${permission.what} ${target.entityRef}`,
    target.entityRef,
  );
  return target;
}

/** The model a step acts on, from its entity or (config-repo:create) its repo URL. */
export async function resolveModel(
  ctx: ActionCtx,
  options: MlGitopsActionOptions,
  reader: GitHostReader,
  input: { entityRef?: string; repoUrl?: string; manifestPath?: string },
): Promise<ModelTarget> {
  const manifestPath =
    input.manifestPath === undefined
      ? undefined
      : checkManifestPath(input.manifestPath);
  const repoUrl =
    input.repoUrl === undefined ? undefined : checkRepoUrl(input.repoUrl);
  const locate = (url: string, field: string) => {
    const loc = reader.locate(
      normalizeRepoUrl(checkRepoUrl(url, field), options.integrations),
    );
    checkRepoNames(loc.owner, loc.repo, url);
    return loc;
  };
  if (input.entityRef !== undefined) {
    checkEntityRef(input.entityRef);
    const entity = await options.catalog.getEntityByRef(input.entityRef, {
      credentials: await ctx.getInitiatorCredentials(),
    });
    if (!entity) {
      throw new InputError(
        `Entity ${input.entityRef} was not found in the catalog; pick a component that carries the ml-gitops/model annotation`,
      );
    }
    const annotations = getMlGitopsAnnotations(entity);
    if (annotations.problems.length > 0) {
      // The model name goes into branch names and pull request text, the
      // manifest path into API URLs: neither may be anything else.
      throw new InputError(
        `Entity ${
          input.entityRef
        } has unusable ml-gitops annotations: ${annotations.problems.join(
          '; ',
        )}`,
      );
    }
    if (annotations.missing.length > 0 && !repoUrl) {
      throw new InputError(
        `Entity ${
          input.entityRef
        } lacks the annotation(s) ${annotations.missing.join(
          ', ',
        )}; add them to its catalog-info.yaml (see the ml-gitops README)`,
      );
    }
    return {
      entityRef: input.entityRef,
      model: annotations.model,
      registryName: annotations.registry,
      manifestPath:
        manifestPath ??
        checkManifestPath(
          annotations.manifestPath,
          `The ml-gitops/manifest-path annotation of ${input.entityRef}`,
        ),
      loc: repoUrl
        ? sameRepo(
            locate(repoUrl, 'repoUrl'),
            annotations.configRepo,
            input.entityRef,
          )
        : locate(
            annotations.configRepo!,
            `The ml-gitops/config-repo annotation of ${input.entityRef}`,
          ),
    };
  }
  if (!repoUrl) {
    throw new InputError(
      'Give entityRef (a component with the ml-gitops annotations) or repoUrl (the config repo)',
    );
  }
  return {
    manifestPath: manifestPath ?? DEFAULT_MANIFEST_PATH,
    loc: locate(repoUrl, 'repoUrl'),
  };
}

/**
 * A repoUrl given next to an entity must be that entity's config repo:
 * otherwise a permission granted on one model would open pull requests in
 * any repo the integration can write.
 */
function sameRepo(
  loc: ConfigRepoLocation,
  annotated: string | undefined,
  entityRef: string,
): ConfigRepoLocation {
  const key = (url: string) =>
    url
      .toLowerCase()
      .replace(/\.git$/, '')
      .replace(/\/+$/, '');
  if (annotated === undefined) {
    return loc; // the annotation is missing: repoUrl stands in for it
  }
  if (key(loc.url) !== key(annotated.replace(/\.git$/, ''))) {
    throw new InputError(
      `repoUrl ${loc.url} is not the config repo of ${entityRef} (its ml-gitops/config-repo annotation is ${annotated}); leave repoUrl out or fix the annotation`,
    );
  }
  return loc;
}
