/** The software templates that Promote and Rollback open. */
export const PROMOTE_TEMPLATE = {
  namespace: 'default',
  name: 'ml-gitops-promote',
};
export const ROLLBACK_TEMPLATE = {
  namespace: 'default',
  name: 'ml-gitops-rollback',
};

/** Appends the scaffolder's `formData` query parameter to a template path. */
export function withFormData(
  path: string,
  formData: Record<string, string>,
): string {
  return `${path}?formData=${encodeURIComponent(JSON.stringify(formData))}`;
}
