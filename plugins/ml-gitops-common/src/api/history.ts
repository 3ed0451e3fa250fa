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

// A model's deployments, the commits that changed a declared version: the `GET /v1/history` answer.

/**
 * The pull request that brought a commit into an environment's branch.
 *
 * @public
 */
export type PullRequestInfo = {
  number: number;
  url: string;
  /** Who merged it, when the Git host says. */
  mergedBy?: string;
  /** Who approved it (may be empty). */
  reviewers: string[];
};

/**
 * How a deployment commit came about.
 *
 * @public
 */
export type DeploymentKind = 'deploy' | 'promotion' | 'rollback';

/**
 * One deployment: a commit that changed the declared version of an environment.
 *
 * @public
 */
export type Deployment = {
  environment: string;
  version: string;
  previousVersion?: string;
  commit: string;
  author: string;
  committedAt: string;
  kind: DeploymentKind;
  /** Why: the reason a rollback gave, from its pull request. */
  reason?: string;
  pullRequest?: PullRequestInfo;
  /**
   * When the version started serving: the serving object Ready, the model
   * loaded, all its traffic (or its canary share); where no serving object
   * is read, the first time the live version matched and the operator was
   * synced.
   */
  servingAt?: string;
  /** servingAt - merge time. */
  timeToServeSeconds?: number;
};

/**
 * Response of `GET /v1/history?entityRef=…&environment=…&limit=…`.
 *
 * @public
 */
export type HistoryResponse = {
  /** Newest first. */
  items: Deployment[];
  /**
   * The environments asked for whose older history the backend is still
   * reading (newest first, a few requests each poll cycle): older
   * deployments are still to come. Absent when every one was read back to
   * its branch's first commit, or before the model was first polled. An
   * addition to the design contract.
   */
  readingOlderHistory?: string[];
};
