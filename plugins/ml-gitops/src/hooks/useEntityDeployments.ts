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
