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

// The examples of an action: each a template with one step that runs it, written as YAML.
import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** The `id`, `action` and `name` of the step all examples of an action share. */
export type ExampleStep = { id: string; action: string; name: string };

/** Makes examples of the action `step` runs, each with its own input. */
export function stepExamples(step: ExampleStep) {
  return (
    description: string,
    input: Record<string, unknown>,
  ): TemplateExample => ({
    description,
    example: yaml.stringify({ steps: [{ ...step, input }] }),
  });
}
