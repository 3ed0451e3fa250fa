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

// The public types of a rollback: what it runs with, what is asked, what it proposed, and why one is refused.
import { InputError } from '@backstage/errors';
import { ModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import { CommitAuthor, PullRequestRef } from '../git/changePullRequest';
import { ConfigRepoLocation } from '../git/configRepoTypes';
import type { GitHostWriter } from '../git/GitHost';
import { RegistryAccess } from '../registries';

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
  writer: GitHostWriter;
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
