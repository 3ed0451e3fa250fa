import { InputError } from '@backstage/errors';
import {
  ActionContext,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import { validate } from 'jsonschema';

/** Whether the scaffolder would accept this input for the action (its JSON schema). */
export function schemaErrors(
  action: TemplateAction<any, any, any>,
  input: unknown,
): string[] {
  const result = validate(input, action.schema?.input as any);
  return result.errors.map(e => e.toString());
}

/**
 * Runs an action the way the scaffolder's task runner does: the input is
 * first validated against the action's JSON schema (an InputError when it
 * does not fit), then the handler runs.
 */
export async function runLikeScaffolder(
  action: TemplateAction<any, any, any>,
  ctx: ActionContext<any, any, any>,
): Promise<void> {
  const errors = schemaErrors(action, ctx.input);
  if (errors.length > 0) {
    throw new InputError(
      `Invalid input passed to action ${action.id}, ${errors.join(', ')}`,
    );
  }
  await action.handler(ctx);
}
