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
