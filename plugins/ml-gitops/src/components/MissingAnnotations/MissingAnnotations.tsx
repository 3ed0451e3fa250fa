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
