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
