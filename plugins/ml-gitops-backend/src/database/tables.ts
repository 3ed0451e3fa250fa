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

import {
  AuditDeploymentEvent,
  Deployment,
  DeploymentChecks,
  DeploymentKind,
  PullRequestInfo,
} from '@ml-gitops/plugin-ml-gitops-common';
import { AuditedDeployment } from './auditState';
import { DriftEpisode } from './MlGitopsStore';

// The store's tables: their names, row types, and the conversions of rows to what the API shows.

export const STATUS = 'ml_gitops_environment_status';
export const DEPLOYMENTS = 'ml_gitops_deployments';
export const EPISODES = 'ml_gitops_drift_episodes';
export const CACHE = 'ml_gitops_cache';
/** The cache row holding when each deployment source last answered. */
export const FRESHNESS_KEY = 'ml-gitops:source-freshness';
/** How long a replica reuses the freshness row it read, for API reads. */
export const FRESHNESS_TTL_MS = 2_000;
/** Rows written this shortly before a cursor are listed again. */
export const CURSOR_MARGIN_MS = 10_000;

export type StatusRow = {
  entity_ref: string;
  environment: string;
  model: string;
  position: number;
  drift_state: string;
  status: string;
  updated_at: string;
};

export type DeploymentRow = {
  id: number | string;
  entity_ref: string;
  environment: string;
  commit_sha: string;
  version: string;
  previous_version: string | null;
  author: string;
  committed_at: string;
  kind: string;
  reason?: string | null;
  pull_request: string | null;
  merged_at: string | null;
  serving_at: string | null;
  time_to_serve_seconds: number | null;
  recorded_at: string;
  checks?: string | null;
};

export type EpisodeRow = {
  id: number | string;
  entity_ref: string;
  environment: string;
  started_at: string;
  ended_at: string | null;
  reason: string;
};

/** The unique key of an open drift episode; null once it ended. */
export function openKey(episode: { entityRef: string; environment: string }) {
  return `${episode.entityRef} ${episode.environment}`;
}

/** Timestamps are stored as fixed-width ISO 8601 UTC strings, which sort. */
export function iso(value: string | Date): string {
  return new Date(value).toISOString();
}

export function toDeployment(row: DeploymentRow): Deployment {
  const deployment: Deployment = {
    environment: row.environment,
    version: row.version,
    commit: row.commit_sha,
    author: row.author,
    committedAt: row.committed_at,
    kind: row.kind as DeploymentKind,
  };
  if (row.previous_version !== null) {
    deployment.previousVersion = row.previous_version;
  }
  if (row.reason) {
    deployment.reason = row.reason;
  }
  if (row.pull_request) {
    deployment.pullRequest = JSON.parse(row.pull_request) as PullRequestInfo;
  }
  if (row.serving_at) {
    deployment.servingAt = row.serving_at;
  }
  if (row.time_to_serve_seconds !== null) {
    deployment.timeToServeSeconds = Number(row.time_to_serve_seconds);
  }
  return deployment;
}

export function toAudited(row: DeploymentRow): AuditedDeployment {
  const deployment: AuditedDeployment = toDeployment(row);
  if (row.checks) {
    deployment.checks = JSON.parse(row.checks) as DeploymentChecks;
  }
  return deployment;
}

export function toDeploymentEvent(
  entityRef: string,
  row: DeploymentRow,
): AuditDeploymentEvent {
  const d = toAudited(row);
  return {
    type: 'deployment',
    entityRef,
    environment: d.environment,
    at: d.committedAt,
    kind: d.kind,
    version: d.version,
    ...(d.previousVersion !== undefined
      ? { previousVersion: d.previousVersion }
      : {}),
    commit: d.commit,
    author: d.author,
    ...(d.pullRequest ? { pullRequest: d.pullRequest } : {}),
    ...(d.servingAt ? { servingAt: d.servingAt } : {}),
    ...(d.timeToServeSeconds !== undefined
      ? { timeToServeSeconds: d.timeToServeSeconds }
      : {}),
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.checks ? { checks: d.checks } : {}),
  };
}

export function toEpisode(row: EpisodeRow): DriftEpisode {
  return {
    id: String(row.id),
    entityRef: row.entity_ref,
    environment: row.environment,
    startedAt: row.started_at,
    ...(row.ended_at ? { endedAt: row.ended_at } : {}),
    reason: row.reason,
  };
}
