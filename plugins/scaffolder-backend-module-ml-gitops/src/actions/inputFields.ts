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

import type { z as zod } from 'zod/v3';
import { VERSION_MAX_LENGTH } from './inputs';

// The input and output fields several actions share in their schemas; their values are checked in inputs.ts.

type Z = typeof zod;

/** `entityRef` and `repoUrl`: which model and config repo a step acts on. */
export const targetInput = {
  entityRef: (z: Z) =>
    z
      .string()
      .describe(
        'Required: the catalog entity of the model, e.g. component:default/fraud-detector, carrying the ml-gitops/model and ml-gitops/config-repo annotations; the permission to make the change is decided on it',
      )
      .optional(),
  repoUrl: (z: Z) =>
    z
      .string()
      .describe(
        'The config repo, when the entity lacks the ml-gitops/config-repo annotation; otherwise it must be that repo: https://github.com/acme/fraud-detector-config or github.com?owner=acme&repo=fraud-detector-config',
      )
      .optional(),
};

/** `manifestPath`: where the manifest lives in the config repo. */
export const manifestPathInput = {
  manifestPath: (z: Z) =>
    z
      .string()
      .describe(
        'Path of the manifest in the config repo; defaults to the ml-gitops/manifest-path annotation or deploy/model.yaml',
      )
      .optional(),
};

/** `entityRef`, `repoUrl` and `manifestPath`: a model, its config repo and its manifest. */
export const manifestTargetInput = { ...targetInput, ...manifestPathInput };

/**
 * A field naming one of the configured environments (`mlGitops.environments`,
 * a branch each): the scaffolder refuses any other value before the action
 * runs, naming the ones it accepts.
 */
export function environmentField(
  environments: readonly string[],
  description: string,
) {
  return (z: Z) =>
    z.enum(environments as [string, ...string[]]).describe(description);
}

/** `environment`: the environment (branch) a change is made to. */
export function environmentInput(
  environments: readonly string[],
  description: string,
) {
  return { environment: environmentField(environments, description) };
}

/**
 * The fields of a change to one environment's manifest: the model, its config
 * repo and manifest ({@link manifestTargetInput}) and the environment.
 */
export function environmentChangeInput(
  environments: readonly string[],
  description: string,
) {
  return {
    ...manifestTargetInput,
    ...environmentInput(environments, description),
  };
}

/** A registry version id field; its characters are checked by `checkVersion`. */
export function versionField(description: string) {
  return (z: Z) => z.string().max(VERSION_MAX_LENGTH).describe(description);
}

/** `force` and `reason`, for actions whose checks may be overridden. */
export function overrideInput(checks: string) {
  return {
    force: (z: Z) =>
      z
        .boolean()
        .describe(
          `Open the pull request even though the ${checks} checks fail; needs a reason`,
        )
        .optional(),
    reason: (z: Z) =>
      z
        .string()
        .max(1000)
        .describe(
          'Why the checks are overridden; stated in a warning in the pull request',
        )
        .optional(),
  };
}

/**
 * The outputs of an action that opens a change request (a GitHub pull
 * request or a GitLab merge request) from its own branch: the host-neutral
 * names of Backstage's `publish:github:pull-request` and
 * `publish:gitlab:merge-request` (`targetBranchName`), and the earlier
 * `pullRequest*` names, which stay.
 */
export function pullRequestOutput(branch: string) {
  return {
    changeRequestUrl: (z: Z) =>
      z
        .string()
        .describe('URL of the pull request or merge request')
        .optional(),
    number: (z: Z) =>
      z
        .number()
        .describe('Number of the pull request, or iid of the merge request')
        .optional(),
    targetBranchName: (z: Z) =>
      z
        .string()
        .describe('The environment branch the change request targets')
        .optional(),
    pullRequestUrl: (z: Z) =>
      z
        .string()
        .describe('URL of the pull request (same as changeRequestUrl)')
        .optional(),
    pullRequestNumber: (z: Z) =>
      z
        .number()
        .describe('Number of the pull request (same as number)')
        .optional(),
    branch: (z: Z) => z.string().describe(branch).optional(),
  };
}
