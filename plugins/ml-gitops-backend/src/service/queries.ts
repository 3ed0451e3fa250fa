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

import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { z } from 'zod';

/** An entity ref in a query, normalised (kind component, namespace default). */
export const entityRefSchema = z
  .string({
    error: 'entityRef is required, e.g. component:default/fraud-detector',
  })
  .min(1, 'entityRef is required, e.g. component:default/fraud-detector')
  .transform((value, ctx) => {
    try {
      return stringifyEntityRef(
        parseEntityRef(value, {
          defaultKind: 'component',
          defaultNamespace: 'default',
        }),
      );
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `entityRef "${value}" is not an entity reference such as component:default/fraud-detector`,
      });
      return z.NEVER;
    }
  });

/** Parses a query with a zod schema; bad input is a 400 saying what to fix. */
export function parseQuery<T extends z.ZodType>(
  schema: T,
  input: unknown,
): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new InputError(
      result.error.issues
        .map(issue =>
          issue.path.length
            ? `${issue.path.join('.')}: ${issue.message}`
            : issue.message,
        )
        .join('; '),
    );
  }
  return result.data;
}
