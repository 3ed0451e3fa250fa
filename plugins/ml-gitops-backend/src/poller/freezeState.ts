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

import { LoggerService } from '@backstage/backend-plugin-api';
import {
  activeFreeze,
  EnvironmentFreeze,
} from '@ml-gitops/plugin-ml-gitops-common';
import {
  ConfigRepoHistory,
  ConfigRepoLocation,
  EnvironmentDeclaration,
  GitHostReader,
} from '@ml-gitops/plugin-ml-gitops-node';
import { errorMessage, Failure } from './failures';

/**
 * How far back the first-parent history of a branch is read for the commit
 * that wrote its freeze; the oldest commit read stands in beyond it.
 */
const FREEZE_HISTORY = 50;

/** Which environment's freeze {@link freezeState} is asked for. */
export type FreezeRequest = {
  entityRef: string;
  /** The config repo read of the poll (its location, and whether it failed). */
  read: { loc?: ConfigRepoLocation; failure?: Failure };
  manifestPath: string;
  declaration: EnvironmentDeclaration | undefined;
  /** The freeze stored before. */
  before: EnvironmentFreeze | undefined;
  now: Date;
};

/**
 * The freeze that holds now at the head of an environment's branch, with
 * the commit that wrote it: going back from the head along the first
 * parents, the oldest commit whose manifest has this same freeze (reason
 * and until), at most {@link FREEZE_HISTORY} commits back. That history is
 * read only when the freeze differs from the stored one; otherwise the
 * stored commit, author and time stay. While Git cannot be read, the last
 * known freeze stays as long as it holds.
 */
export async function freezeState(
  deps: {
    git: GitHostReader;
    history: ConfigRepoHistory;
    logger: LoggerService;
  },
  request: FreezeRequest,
): Promise<EnvironmentFreeze | undefined> {
  const { entityRef, read, manifestPath, declaration, before, now } = request;
  if (!declaration) {
    const holds =
      before &&
      (before.until === undefined || Date.parse(before.until) > now.getTime());
    return read.failure && holds ? before : undefined;
  }
  const freeze =
    declaration.manifest && activeFreeze(declaration.manifest, now);
  if (!freeze) {
    return undefined;
  }
  const own: EnvironmentFreeze = {
    reason: freeze.reason,
    ...(freeze.until !== undefined ? { until: freeze.until } : {}),
  };
  if (
    before?.commit &&
    before.reason === freeze.reason &&
    before.until === freeze.until
  ) {
    return before;
  }
  if (!read.loc) {
    return own;
  }
  const loc = read.loc;
  const { git, history } = deps;
  try {
    let commit = await git.getCommit(loc, declaration.head);
    for (let n = 0; n < FREEZE_HISTORY && commit.parents[0]; n++) {
      const parent = await history.versionAt(
        loc,
        manifestPath,
        commit.parents[0],
      );
      const earlier = parent.manifest?.freeze;
      if (
        earlier?.reason !== freeze.reason ||
        earlier?.until !== freeze.until
      ) {
        break;
      }
      commit = await git.getCommit(loc, commit.parents[0]);
    }
    return {
      ...own,
      setBy: commit.author,
      setAt: commit.committedAt,
      commit: commit.sha,
    };
  } catch (error) {
    deps.logger.warn(
      `Reading who froze ${
        declaration.environment
      } of ${entityRef} failed: ${errorMessage(error)}`,
    );
    return own;
  }
}
