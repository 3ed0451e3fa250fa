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
import { LABEL_MODEL } from '@ml-gitops/plugin-ml-gitops-common';
import {
  LiveObservation,
  LiveObservationChanges,
} from '@ml-gitops/plugin-ml-gitops-node';
import {
  KubeObject,
  KubernetesClusterClient,
} from '../kubernetes/KubernetesClusters';
import {
  KubeWatchOptions,
  watchKubernetesResource,
} from '../kubernetes/KubernetesWatch';
import { FLUX_APPLIERS } from './fluxKinds';
import { fluxObservation } from './fluxObjects';

const keyOf = (o: LiveObservation) => `${o.model}\u0000${o.environment}`;

/**
 * Watches the Flux objects that apply config repos (Kustomizations, then
 * HelmReleases) on one cluster, one Kubernetes watch per kind (see
 * {@link watchKubernetesResource}), and reports the observations the poll's
 * list makes ({@link fluxObservation}), with the list's rule for an
 * environment that several objects carry: a Kustomization before a
 * HelmRelease, then in the API server's order (namespace, name).
 *
 * Nothing is reported until every kind has been listed; then the whole set
 * comes as one complete change, and again after any kind listed anew (at a
 * restart, or after its resource version expired). Between lists, each batch
 * of events reports the observations that changed and the model
 * environments no object carries any more.
 */
export function watchFlux(options: {
  client: KubernetesClusterClient;
  instance: string;
  version: (group: string) => Promise<string | undefined>;
  onChange: (changes: LiveObservationChanges) => void;
  signal: AbortSignal;
  logger: LoggerService;
  options?: KubeWatchOptions;
}): void {
  const { instance } = options;
  const objects = FLUX_APPLIERS.map(() => new Map<string, KubeObject>());
  const listed = FLUX_APPLIERS.map(() => false);
  /** What was last reported, by model and environment, as JSON too. */
  let reported = new Map<
    string,
    { observation: LiveObservation; json: string }
  >();

  const current = () => {
    const out = new Map<
      string,
      { observation: LiveObservation; json: string }
    >();
    FLUX_APPLIERS.forEach(({ group }, index) => {
      const sorted = [...objects[index].entries()].sort(([a], [b]) =>
        a < b ? -1 : Number(a > b),
      );
      for (const [, object] of sorted) {
        const observation = fluxObservation(object, group, instance);
        if (observation && !out.has(keyOf(observation))) {
          out.set(keyOf(observation), {
            observation,
            json: JSON.stringify(observation),
          });
        }
      }
    });
    return out;
  };

  const report = (complete: boolean) => {
    if (!listed.every(Boolean)) return;
    const now = current();
    const changes: LiveObservationChanges = {
      observations: [],
      removed: [],
      complete,
    };
    for (const [key, entry] of now) {
      if (complete || reported.get(key)?.json !== entry.json) {
        changes.observations.push(entry.observation);
      }
    }
    if (!complete) {
      for (const [key, { observation }] of reported) {
        if (!now.has(key)) {
          changes.removed.push({
            model: observation.model,
            environment: observation.environment,
            application: observation.application,
          });
        }
      }
    }
    reported = now;
    if (
      complete ||
      changes.observations.length > 0 ||
      changes.removed.length > 0
    ) {
      options.onChange(changes);
    }
  };

  const name = (object: KubeObject) =>
    `${object.metadata.namespace ?? ''}/${object.metadata.name}`;

  FLUX_APPLIERS.forEach(({ group, plural }, index) => {
    watchKubernetesResource({
      client: options.client,
      group,
      plural,
      labelSelector: LABEL_MODEL,
      version: () => options.version(group),
      onList: items => {
        objects[index] = new Map(items.map(object => [name(object), object]));
        listed[index] = true;
        report(true);
      },
      onEvents: events => {
        for (const { type, object } of events) {
          if (type === 'DELETED') objects[index].delete(name(object));
          else objects[index].set(name(object), object);
        }
        report(false);
      },
      signal: options.signal,
      logger: options.logger,
      options: options.options,
    });
  });
}
