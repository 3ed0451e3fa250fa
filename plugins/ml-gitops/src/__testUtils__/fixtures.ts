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

/*
 * Test data shaped exactly like the backend's answers. Used by tests only.
 */
import type {
  AuditDeploymentEvent,
  Deployment,
  DeploymentsResponse,
  EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import type { Entity } from '@backstage/catalog-model';

export const ENTITY_REF = 'component:default/fraud-detector';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'fraud-detector',
    namespace: 'default',
    annotations: {
      'ml-gitops/model': 'fraud-detector',
      'ml-gitops/config-repo': 'https://github.com/acme/fraud-detector-config',
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-ml' },
};

export const entityWithoutAnnotations: Entity = {
  ...entity,
  metadata: { name: 'plain-service', namespace: 'default' },
};

/** Minutes before now, as ISO 8601. */
export function minutesAgo(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString();
}

export function environment(
  name: string,
  overrides: Partial<EnvironmentStatus> = {},
): EnvironmentStatus {
  const version = overrides.declared?.version ?? '12';
  return {
    name,
    declared: {
      version,
      commit: `c0ffee${name.length}0000000000000000000000000000000`,
      author: 'ada',
      committedAt: minutesAgo(120),
      pullRequest: {
        number: 41,
        url: `https://github.com/acme/fraud-detector-config/pull/41`,
        mergedBy: 'grace',
        reviewers: ['grace'],
      },
    },
    live: {
      version,
      revision: `c0ffee${name.length}0000000000000000000000000000000`,
      source: 'argocd',
      instance: 'main',
      application: `fraud-detector-${name}`,
      syncStatus: 'Synced',
      healthStatus: 'Healthy',
      observedAt: minutesAgo(1),
    },
    registry: {
      exists: true,
      aliases: ['champion'],
      metrics: { auc: 0.95, latency_p95_ms: 31 },
      gate: 'passed',
    },
    drift: { state: 'in-sync', since: minutesAgo(118) },
    ...overrides,
  };
}

export function deployments(
  environments: EnvironmentStatus[] = [
    environment('dev', {
      declared: { ...environment('dev').declared!, version: '13' },
      live: { ...environment('dev').live!, version: '13' },
    }),
    environment('staging'),
    environment('production'),
  ],
): DeploymentsResponse {
  return { entityRef: ENTITY_REF, model: 'fraud-detector', environments };
}

function kindOf(index: number): Deployment['kind'] {
  if (index % 7 === 3) return 'rollback';
  return index % 2 ? 'deploy' : 'promotion';
}

export function deployment(
  index: number,
  overrides: Partial<Deployment> = {},
): Deployment {
  const version = String(500 - index);
  return {
    environment: 'production',
    version,
    previousVersion: String(499 - index),
    commit: `${index
      .toString(16)
      .padStart(7, '0')}abcdef0123456789abcdef0123456789`,
    author: `author-${index}`,
    committedAt: minutesAgo(60 * (index + 1)),
    kind: kindOf(index),
    pullRequest: {
      number: 1000 - index,
      url: `https://github.com/acme/fraud-detector-config/pull/${1000 - index}`,
      mergedBy: 'grace',
      reviewers: ['grace'],
    },
    servingAt: minutesAgo(60 * (index + 1) - 3),
    timeToServeSeconds: 120 + (index % 5) * 60,
    ...overrides,
  };
}

/**
 * A deployment event of the audit export (`GET /v1/audit/events`, JSON), in
 * the shape the backend's `AuditDeploymentEvent` gives it.
 */
export function auditDeployment(
  overrides: Partial<AuditDeploymentEvent> & { at: string },
): AuditDeploymentEvent {
  return {
    type: 'deployment',
    entityRef: ENTITY_REF,
    environment: 'production',
    kind: 'promotion',
    version: '12',
    previousVersion: '11',
    commit: 'b0a7c0ffee000000000000000000000000000000',
    author: 'ada',
    pullRequest: {
      number: 41,
      url: 'https://github.com/acme/fraud-detector-config/pull/41',
      mergedBy: 'grace',
      reviewers: ['grace'],
    },
    ...overrides,
  };
}
