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

import type { EnvironmentStatus } from '@ml-gitops/plugin-ml-gitops-common';
import {
  LABEL_ENVIRONMENT,
  LABEL_MODEL,
} from '@ml-gitops/plugin-ml-gitops-common';

/** What a person can do about the drift of one environment. */
export function driftAdvice(
  model: string,
  environment: EnvironmentStatus,
): string {
  const { drift, live, declared } = environment;
  const operator = live?.source === 'flux' ? 'Flux' : 'Argo CD';
  switch (drift.state) {
    case 'progressing':
      return `A change is rolling out. Nothing to do unless it still progresses after the grace period; then check the ${operator} sync operation.`;
    case 'drifted':
      if (
        declared &&
        live?.version === declared.version &&
        live.serving &&
        live.serving.state !== 'serving'
      ) {
        const { namespace, name, cluster } = live.serving;
        return `Git's version ${declared.version} is applied but does not serve. Look at the InferenceService ${namespace}/${name} on ${cluster} (its events and the predictor's logs); fix the model or its runtime, or roll back to the previous version.`;
      }
      return declared
        ? `The cluster does not run what Git declares (${declared.version}). If someone changed it by hand, find out why, then sync in ${operator} so Git wins again; to keep the live version instead, open a pull request that declares it.`
        : `The cluster does not run what Git declares. Sync in ${operator} so Git wins again.`;
    case 'unknown':
      return 'A source could not be read, so drift cannot be decided. Check that the backend reaches Git, the operator and the registry; the values shown are the last good ones, with their age.';
    case 'missing':
      return `No Argo CD Application or Flux object carries the labels ${LABEL_MODEL}: ${model} and ${LABEL_ENVIRONMENT}: ${environment.name}. Create it (the config repo template does) or add the labels to the existing object.`;
    default:
      return '';
  }
}
