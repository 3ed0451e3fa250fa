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

import { useCallback } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { DeploymentsResponse } from '@ml-gitops/plugin-ml-gitops-common';
import { mlGitopsApiRef } from '../api';
import { useLiveData, type LiveData } from './useLiveData';

/** The deployments of the current entity, kept fresh while shown. */
export function useEntityDeployments(): LiveData<DeploymentsResponse> & {
  entityRef: string;
} {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const api = useApi(mlGitopsApiRef);
  const load = useCallback(
    () => api.getDeployments({ entityRef }),
    [api, entityRef],
  );
  return { ...useLiveData(load, { entityRef }), entityRef };
}
