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

import { useCallback, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import type { Deployment } from '@ml-gitops/plugin-ml-gitops-common';
import { mlGitopsApiRef } from '../../api';
import { useLiveData } from '../../hooks/useLiveData';

/** Deployments fetched per request. */
export const HISTORY_PAGE_SIZE = 100;

/**
 * The deployment history of one environment, newest first, fetched
 * {@link HISTORY_PAGE_SIZE} at a time; `loadMore` fetches older ones.
 */
export function useHistory(entityRef: string, environment: string) {
  const api = useApi(mlGitopsApiRef);
  const [pages, setPages] = useState(1);
  const key = `${entityRef}|${environment}`;
  const [pagesKey, setPagesKey] = useState(key);
  if (pagesKey !== key) {
    setPagesKey(key);
    setPages(1);
  }

  const load = useCallback(async () => {
    const items: Deployment[] = [];
    let hasMore = false;
    // The backend still reads older commits of the branch (a first read
    // goes back in pages within its request budget).
    let readingOlder = false;
    for (let page = 0; page < pages; page++) {
      const response = await api.getHistory({
        entityRef,
        environment,
        limit: HISTORY_PAGE_SIZE,
        offset: page * HISTORY_PAGE_SIZE,
      });
      items.push(...response.items);
      readingOlder = (response.readingOlderHistory ?? []).includes(environment);
      hasMore = response.items.length === HISTORY_PAGE_SIZE;
      if (!hasMore) break;
    }
    return { items, hasMore, readingOlder };
  }, [api, entityRef, environment, pages]);

  const data = useLiveData(load, { entityRef, resetKey: key });
  return { ...data, loadMore: () => setPages(p => p + 1) };
}
