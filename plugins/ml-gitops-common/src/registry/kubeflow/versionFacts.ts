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

import { versionRejection, VersionRejection } from '../mlflow/deployable';
import { KubeflowModelArtifact, KubeflowModelVersion } from './types';

/**
 * The model artifact a version serves from: the first with a `uri` (the
 * spec allows an empty one: "May be empty if there is no physical
 * artifact"), else the first.
 *
 * @public
 */
export function kubeflowServingArtifact(
  artifacts: KubeflowModelArtifact[],
): KubeflowModelArtifact | undefined {
  return artifacts.find(a => a.uri) ?? artifacts[0];
}

/**
 * Whether a Kubeflow version can be deployed: its state is `LIVE` and it
 * has a model artifact with a `uri` (the registry's counterpart of MLflow's
 * READY).
 *
 * @public
 */
export function isKubeflowVersionReady(
  version: Pick<KubeflowModelVersion, 'state'>,
  artifact: Pick<KubeflowModelArtifact, 'uri'> | undefined,
): boolean {
  return version.state === 'LIVE' && Boolean(artifact?.uri);
}

/**
 * The rejection of a Kubeflow version: the same markers as on MLflow
 * (`validation_status=rejected`, `ml-gitops.rejected_reason|by|at`), kept
 * as string custom properties of the version, since the Kubeflow Model
 * Registry has no tags.
 *
 * @public
 */
export function kubeflowVersionRejection(
  version: Pick<KubeflowModelVersion, 'properties'>,
): VersionRejection | undefined {
  return versionRejection({ tags: version.properties.tags });
}
