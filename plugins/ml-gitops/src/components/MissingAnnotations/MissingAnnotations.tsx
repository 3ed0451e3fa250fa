import type { ReactNode } from 'react';
import { InfoCard } from '@backstage/core-components';
import {
  useEntity,
  MissingAnnotationEmptyState,
} from '@backstage/plugin-catalog-react';
import { getMissingMlGitopsAnnotations } from '@ml-gitops/plugin-ml-gitops-common';

const README_URL =
  'https://github.com/ml-gitops/ml-gitops-backstage/tree/main/plugins/ml-gitops#catalog-annotations';

/**
 * Renders its children when the entity has every required ml-gitops
 * annotation, else an empty state naming the missing ones with a snippet to
 * copy (inside an InfoCard with `cardTitle` when given).
 */
export function RequireMlGitopsAnnotations(props: {
  children: ReactNode;
  cardTitle?: string;
}) {
  const { entity } = useEntity();
  const missing = getMissingMlGitopsAnnotations(entity);
  if (missing.length > 0) {
    const emptyState = (
      <MissingAnnotationEmptyState
        annotation={missing}
        readMoreUrl={README_URL}
      />
    );
    return props.cardTitle ? (
      <InfoCard title={props.cardTitle}>{emptyState}</InfoCard>
    ) : (
      emptyState
    );
  }
  return <>{props.children}</>;
}
