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

import { LiveObservation } from '@ml-gitops/plugin-ml-gitops-node';

/**
 * A config repo URL in a form that compares equal for the same repo. The
 * whole path names the repository: a GitLab project may sit in subgroups
 * (https://gitlab.example.com/group/sub/project); its pages below `/-/`
 * (tree, blob, merge requests) are cut off.
 */
export function normalizeRepoUrl(url: string): string | undefined {
  // The scp-like form Argo CD accepts: git@github.com:acme/repo.git
  const scp = /^[\w.-]+@([^:/]+):(?!\/\/)(.+)$/.exec(url.trim());
  try {
    const parsed = new URL(scp ? `ssh://${scp[1]}/${scp[2]}` : url);
    const segments = `${parsed.pathname}/`
      .split('/-/')[0]
      .split('/')
      .filter(Boolean);
    if (segments.length < 2) return undefined;
    const path = segments.join('/').replace(/\.git$/, '');
    return `${parsed.host}/${path}`.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * An object that reads several repositories (a multi-source Argo CD
 * Application) reports a revision per repository: the one of the entity's
 * config repo is the revision that declares the model.
 */
export function withConfigRepoRevision(
  observation: LiveObservation | undefined,
  configRepo: string,
): LiveObservation | undefined {
  if (!observation?.revisions?.length) {
    return observation;
  }
  const repo = normalizeRepoUrl(configRepo);
  const match = observation.revisions.find(
    r => repo !== undefined && normalizeRepoUrl(r.repoUrl) === repo,
  );
  return match ? { ...observation, revision: match.revision } : observation;
}
