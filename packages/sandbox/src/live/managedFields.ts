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

// What a real API server lists of an object beyond what its writers wrote: who wrote which field, and the applied manifest.

import type { KubeObject } from './objects';

/**
 * A field set as the API server writes it in `metadata.managedFields[]
 * .fieldsV1` (Kubernetes "Server-Side Apply", Field management): `f:<name>`
 * for a field, `.` for a map or list that is there itself, and a keyed
 * list's items by their key (`k:{"type":"Ready"}`, `k:{"name":"http"}`).
 * Here every list of objects is keyed by its items' `type`, `name` or
 * `revisionName`, whichever they have: the shape and size matter to the
 * readers, not which lists the real schema marks atomic.
 */
function fieldSet(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) {
    const set: Record<string, unknown> = { '.': {} };
    for (const item of value) {
      if (!item || typeof item !== 'object') continue;
      const key = ['type', 'name', 'revisionName'].find(
        k => typeof (item as Record<string, unknown>)[k] === 'string',
      );
      if (!key) continue;
      set[
        `k:${JSON.stringify({ [key]: (item as Record<string, unknown>)[key] })}`
      ] = fieldSet(item);
    }
    return set;
  }
  if (value && typeof value === 'object') {
    const set: Record<string, unknown> = { '.': {} };
    for (const [k, v] of Object.entries(value)) set[`f:${k}`] = fieldSet(v);
    return set;
  }
  return {};
}

/**
 * An InferenceService as a real API server lists it: with the field
 * managers' entries in `metadata.managedFields` (the API server records one
 * for every write, since Kubernetes 1.18), and, when Argo CD applied it,
 * the whole applied manifest in the `kubectl.kubernetes.io/last-applied-configuration`
 * annotation: Argo CD applies client-side by default (Argo CD "Sync
 * Options", Server-Side Apply: off unless set), as `kubectl apply` does
 * (Kubernetes "Declarative Management of Kubernetes Objects Using
 * Configuration Files"), under the field manager `argocd-controller`. Helm,
 * which Flux's helm-controller runs, adds its release annotations
 * (`meta.helm.sh/release-name`, `meta.helm.sh/release-namespace`) and no
 * applied manifest. KServe's controller writes the status subresource (its
 * binary, and so its field manager, is `manager`). Only the objects a
 * reader lists get them here: the InferenceServices.
 */
export function asListed(
  object: KubeObject,
  writers: {
    applier: 'argocd' | 'helm';
    release: { name: string; namespace: string };
    appliedAt: string;
    statusAt: string;
  },
): KubeObject {
  const { metadata } = object;
  const annotations: Record<string, string> = { ...metadata.annotations };
  if (writers.applier === 'helm') {
    annotations['meta.helm.sh/release-name'] = writers.release.name;
    annotations['meta.helm.sh/release-namespace'] = writers.release.namespace;
  }
  const applied = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      labels: metadata.labels,
      name: metadata.name,
      namespace: metadata.namespace,
    },
    spec: object.spec,
  };
  if (writers.applier === 'argocd') {
    annotations[
      'kubectl.kubernetes.io/last-applied-configuration'
    ] = `${JSON.stringify(applied)}\n`;
  }
  const written = {
    metadata: { annotations, labels: metadata.labels },
    spec: object.spec,
  };
  return {
    ...object,
    metadata: {
      ...metadata,
      annotations,
      managedFields: [
        {
          manager:
            writers.applier === 'argocd'
              ? 'argocd-controller'
              : 'helm-controller',
          operation: 'Update',
          apiVersion: object.apiVersion,
          time: writers.appliedAt,
          fieldsType: 'FieldsV1',
          fieldsV1: fieldSet(written),
        },
        ...(object.status
          ? [
              {
                manager: 'manager',
                operation: 'Update',
                apiVersion: object.apiVersion,
                time: writers.statusAt,
                fieldsType: 'FieldsV1',
                fieldsV1: fieldSet({ status: object.status }),
                subresource: 'status',
              },
            ]
          : []),
      ],
    },
  };
}
