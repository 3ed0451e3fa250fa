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

import { http, HttpResponse } from 'msw';
import { ArgoCdFieldsVersion, selectApplicationListFields } from 'sandbox';

/** What a test says about one Argo CD Application. */
export type ArgoCdAppInput = {
  model: string;
  environment: string;
  /** default `<model>-<environment>` */
  name?: string;
  namespace?: string;
  project?: string;
  repoURL?: string;
  /** the branch the Application follows; default the environment */
  targetRevision?: string;
  /** multi-source Applications: replaces `spec.source` */
  sources?: Array<Record<string, unknown>>;
  syncStatus?: string;
  healthStatus?: string;
  /** the revision the last comparison and the last sync used */
  revision?: string;
  /** the revisions of a multi-source Application, index for index */
  revisions?: string[];
  /** the last sync operation: none when omitted */
  operation?: {
    phase: string;
    startedAt: string;
    finishedAt?: string;
    /** what the operation synced; default `revision` */
    revision?: string;
    revisions?: string[];
  };
};

/**
 * A whole Argo CD Application as the API server holds it
 * (`v1alpha1.Application`), shaped after a real payload (argo-cd
 * controller/testdata/diff-cache.yaml): the fields this product reads sit
 * among the many it must ignore (history, resources, summary, retry
 * policies, `operation.sync` of the request next to its `syncResult`).
 */
export function argoCdApplication(input: ArgoCdAppInput) {
  const name = input.name ?? `${input.model}-${input.environment}`;
  const source = input.sources
    ? undefined
    : {
        repoURL:
          input.repoURL ?? `https://github.com/acme/${input.model}-config`,
        path: 'deploy/chart',
        targetRevision: input.targetRevision ?? input.environment,
        helm: { valueFiles: ['../model.yaml'] },
      };
  const destination = {
    server: 'https://kubernetes.default.svc',
    namespace: `models-${input.environment}`,
  };
  const op = input.operation;
  const synced = op?.revision ?? input.revision;
  const syncedMany = op?.revisions ?? input.revisions;
  // No apiVersion or kind: Argo CD's API answers Applications from its
  // informer's cache, without TypeMeta (its swagger's v1alpha1Application
  // has neither).
  return {
    metadata: {
      name,
      namespace: input.namespace ?? 'argocd',
      uid: `00000000-0000-4000-8000-${name.length
        .toString(16)
        .padStart(12, '0')}`,
      resourceVersion: '722811357',
      generation: 263,
      creationTimestamp: '2026-03-04T21:30:33Z',
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
      labels: {
        'ml-gitops/model': input.model,
        'ml-gitops/environment': input.environment,
        team: 'fraud',
      },
      annotations: {
        'argocd.argoproj.io/manifest-generate-paths': '.;..',
      },
    },
    spec: {
      destination,
      project: input.project ?? 'ml-models',
      ...(source ? { source } : { sources: input.sources }),
      syncPolicy: {
        automated: { prune: true },
        retry: {
          backoff: { duration: '5s', factor: 2, maxDuration: '3m' },
          limit: 5,
        },
        syncOptions: ['CreateNamespace=true'],
      },
    },
    status: {
      controllerNamespace: 'argocd',
      health: {
        status: input.healthStatus ?? 'Healthy',
        lastTransitionTime: '2026-11-27T10:01:00Z',
      },
      ...(op
        ? {
            operationState: {
              operation: {
                initiatedBy: { automated: true },
                retry: { limit: 5 },
                sync: {
                  ...(synced ? { revision: synced } : {}),
                  ...(syncedMany ? { revisions: syncedMany } : {}),
                  syncOptions: ['CreateNamespace=true'],
                },
              },
              phase: op.phase,
              message:
                op.phase === 'Running'
                  ? 'one or more tasks are running'
                  : 'successfully synced (all tasks run)',
              startedAt: op.startedAt,
              ...(op.finishedAt ? { finishedAt: op.finishedAt } : {}),
              syncResult: {
                resources: [
                  {
                    group: 'serving.kserve.io',
                    version: 'v1beta1',
                    kind: 'InferenceService',
                    namespace: destination.namespace,
                    name: input.model,
                    status: 'Synced',
                    message: `inferenceservice.serving.kserve.io/${input.model} configured`,
                    hookPhase: op.phase,
                    syncPhase: 'Sync',
                  },
                ],
                ...(synced ? { revision: synced } : {}),
                ...(syncedMany ? { revisions: syncedMany } : {}),
                ...(source ? { source } : { sources: input.sources }),
              },
            },
          }
        : {}),
      history: synced
        ? [
            {
              id: 7,
              revision: synced,
              deployStartedAt: op?.startedAt,
              deployedAt: op?.finishedAt,
              source,
            },
          ]
        : [],
      reconciledAt: '2026-11-27T10:05:00Z',
      resources: [
        {
          group: 'serving.kserve.io',
          version: 'v1beta1',
          kind: 'InferenceService',
          namespace: destination.namespace,
          name: input.model,
          status: input.syncStatus ?? 'Synced',
          health: { status: input.healthStatus ?? 'Healthy' },
        },
      ],
      sourceType: 'Helm',
      summary: { images: ['kserve/sklearnserver:v0.14.0'] },
      sync: {
        status: input.syncStatus ?? 'Synced',
        ...(input.revision ? { revision: input.revision } : {}),
        ...(input.revisions ? { revisions: input.revisions } : {}),
        comparedTo: {
          destination,
          ...(source ? { source } : { sources: input.sources }),
        },
      },
    },
  };
}

/**
 * The answer of `GET /api/v1/applications` for these Applications, as the
 * given Argo CD release builds it: the `fields` query is honoured with Argo
 * CD's fixed field map (the sandbox's emulation of it), so a client that
 * asks for a path Argo CD does not serve gets nothing for it.
 */
export function argoCdListAnswer(
  request: Request,
  apps: unknown[],
  version: ArgoCdFieldsVersion = '3.1',
) {
  const list = {
    metadata: { resourceVersion: '722811357' },
    items: apps,
  };
  const fields = new URL(request.url).searchParams.get('fields');
  return HttpResponse.json(
    fields ? selectApplicationListFields(list, fields, version) : list,
  );
}

/**
 * `GET /api/version` of an Argo CD instance; without a session Argo CD
 * answers the version alone (argo-cd server/version/version.go).
 */
export function argoCdVersionHandler(url: string, version = 'v3.1.9+8665140') {
  return http.get(`${url}/api/version`, () =>
    HttpResponse.json({ Version: version }),
  );
}
