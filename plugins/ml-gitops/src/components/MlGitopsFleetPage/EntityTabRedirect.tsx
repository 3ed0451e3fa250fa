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

import { Navigate } from 'react-router-dom';
import { WarningPanel } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';

/** The path of the ML GitOps tab below an entity page (both frontend systems). */
export const ENTITY_TAB_PATH = 'ml-gitops';

function parse(entityRef: string) {
  try {
    return parseEntityRef(entityRef);
  } catch {
    return undefined;
  }
}

/**
 * Where a notification's link lands: the backend cannot know where the app
 * mounts entity pages, so it links to the fleet page with `?entity=<ref>`
 * and the catalog's own entity route, as this app binds it, builds the
 * way to the model's tab.
 */
export function EntityTabRedirect(props: { entityRef: string }) {
  const entityRoute = useRouteRef(entityRouteRef);
  const ref = parse(props.entityRef);
  if (!ref) {
    return (
      <WarningPanel
        severity="warning"
        title="This link names no catalog entity"
        message={`"${props.entityRef}" is not an entity reference such as component:default/fraud-detector. The fleet below lists every model.`}
      />
    );
  }
  const entityPath = entityRoute(
    entityRouteParams(ref, { encodeParams: true }),
  );
  return (
    <Navigate
      replace
      to={`${entityPath.replace(/\/$/, '')}/${ENTITY_TAB_PATH}`}
    />
  );
}
