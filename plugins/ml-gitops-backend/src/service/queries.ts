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
