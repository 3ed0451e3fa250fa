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

import type { VersionRejection } from './mlflow/deployable';

/**
 * Why a rejected version may not be deployed, and how to un-reject it.
 * `marker` names the status marker in the registry's words (MLflow: its
 * tag; Kubeflow: its custom property); `markedAs` says the status
 * marker as set, for a version rejected without ML GitOps' reason (by hand
 * or by an evaluation pipeline: the marker is what blocks, so it is named).
 */
export function rejectionBlockerMessage(
  id: string,
  rejection: VersionRejection,
  marker: string,
  markedAs: string,
): string {
  const who = [rejection.by && `by ${rejection.by}`, rejection.at]
    .filter(Boolean)
    .join(', ');
  const what =
    rejection.reason !== undefined
      ? `is rejected: ${JSON.stringify(rejection.reason)}`
      : markedAs;
  return `${id} ${what}${
    who ? ` (${who})` : ''
  }; un-reject it with ml-gitops:version:unreject (or delete its ${marker} in the registry) before deploying it`;
}
