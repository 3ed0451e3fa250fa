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
import {
  activeFreeze,
  formatManifestProblem,
  ModelManifest,
  parseModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import type { GitHostWriter } from '@ml-gitops/plugin-ml-gitops-node';
import { ModelTarget } from './modelTarget';

/** The manifest at the head of an environment's branch. */
export type BranchManifest = {
  branch: string;
  head: string;
  text: string;
  blobSha: string;
  manifest: ModelManifest;
};

export async function readBranchManifest(
  writer: GitHostWriter,
  target: ModelTarget,
  branch: string,
): Promise<BranchManifest> {
  const { loc, manifestPath } = target;
  const head = await writer.getBranchHead(loc, branch);
  if (!head) {
    throw new InputError(
      `The config repo ${loc.url} has no branch "${branch}"; every environment needs a branch of the same name`,
    );
  }
  const file = await writer.getFile(loc, manifestPath, head);
  if (!file) {
    throw new InputError(
      `${manifestPath} does not exist on branch ${branch} of ${loc.url}; check the ml-gitops/manifest-path annotation`,
    );
  }
  const parsed = parseModelManifest(file.text, { path: manifestPath });
  if (!parsed.ok) {
    throw new InputError(
      `${manifestPath} on branch ${branch} is invalid, fix it first: ${parsed.problems
        .map(formatManifestProblem)
        .join('; ')}`,
    );
  }
  return {
    branch,
    head,
    text: file.text,
    blobSha: file.blobSha,
    manifest: parsed.manifest,
  };
}

/**
 * Refuses a version change to a frozen environment (a rollback is the one
 * change a freeze allows, and it does not come here).
 */
export function refuseFrozen(
  manifest: ModelManifest,
  environment: string,
  what: string,
): void {
  const freeze = activeFreeze(manifest);
  if (freeze) {
    throw new InputError(
      `${environment} is frozen${
        freeze.until ? ` until ${freeze.until}` : ''
      }: "${
        freeze.reason
      }". While it is frozen only a rollback changes its version; unfreeze it with ml-gitops:environment:unfreeze to ${what}`,
    );
  }
}
