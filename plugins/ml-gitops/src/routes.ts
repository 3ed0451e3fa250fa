import {
  createExternalRouteRef,
  createRouteRef,
} from '@backstage/core-plugin-api';

/** The fleet page. */
export const rootRouteRef = createRouteRef({
  id: 'ml-gitops',
});

/**
 * The scaffolder's page of one template, where Promote and Rollback lead.
 * Bound by default to the scaffolder's `selectedTemplate` route.
 */
export const createFromTemplateRouteRef = createExternalRouteRef({
  id: 'ml-gitops-create-from-template',
  optional: true,
  params: ['namespace', 'templateName'],
  defaultTarget: 'scaffolder.selectedTemplate',
});

/** The ML GitOps tab of an entity page (legacy frontend system). */
export const entityContentRouteRef = createRouteRef({
  id: 'ml-gitops:entity-content',
});
