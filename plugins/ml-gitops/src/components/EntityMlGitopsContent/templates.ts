import { mlGitopsTabChanges } from '@ml-gitops/plugin-ml-gitops-common';

/** The software templates that Promote and Rollback open. */
export const PROMOTE_TEMPLATE = mlGitopsTabChanges.promote.template;
export const ROLLBACK_TEMPLATE = mlGitopsTabChanges.rollback.template;

/** Appends the scaffolder's `formData` query parameter to a template path. */
export function withFormData(
  path: string,
  formData: Record<string, string>,
): string {
  return `${path}?formData=${encodeURIComponent(JSON.stringify(formData))}`;
}
