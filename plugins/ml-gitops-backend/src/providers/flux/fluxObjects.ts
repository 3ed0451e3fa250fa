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

// The observation a Flux Kustomization or HelmRelease makes, and the GitRepository it reads from.

import {
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
} from '@ml-gitops/plugin-ml-gitops-common';
import { LiveObservation } from '@ml-gitops/plugin-ml-gitops-node';
import { KubeObject } from '../kubernetes/KubernetesClusters';
import { appliedState } from './fluxApplied';
import { fluxReadiness } from './fluxReadiness';

/** The GitRepository a Kustomization or HelmRelease reads from, if any. */
export function sourceRefOf(
  object: KubeObject,
): { name: string; namespace: string } | undefined {
  const spec = object.spec as
    | {
        sourceRef?: { kind?: string; name?: string; namespace?: string };
        chart?: {
          spec?: {
            sourceRef?: { kind?: string; name?: string; namespace?: string };
          };
        };
      }
    | undefined;
  const ref = spec?.sourceRef ?? spec?.chart?.spec?.sourceRef;
  if (ref?.kind !== 'GitRepository' || !ref.name) return undefined;
  return {
    name: ref.name,
    namespace: ref.namespace ?? object.metadata.namespace ?? 'flux-system',
  };
}

/**
 * The observation of one Flux Kustomization or HelmRelease, as the list and
 * the watch both report it; undefined without the model and environment
 * labels.
 */
export function fluxObservation(
  object: KubeObject,
  group: string,
  instance: string,
): LiveObservation | undefined {
  const model = object.metadata.labels?.[LABEL_MODEL];
  const environment = object.metadata.labels?.[LABEL_ENVIRONMENT];
  if (!model || !environment) return undefined;
  const readiness = fluxReadiness(object, group);
  const applied = appliedState(object, group);
  return {
    model,
    environment,
    source: 'flux',
    instance,
    application: `${object.metadata.namespace ?? 'default'}/${
      object.metadata.name
    }`,
    syncStatus: readiness.syncStatus,
    healthStatus: readiness.healthStatus,
    revision: applied.revision,
    operationRunning: readiness.reconciling,
    ...(applied.changedAt ? { lastSyncFinishedAt: applied.changedAt } : {}),
    ...(readiness.message ? { statusMessage: readiness.message } : {}),
  };
}
