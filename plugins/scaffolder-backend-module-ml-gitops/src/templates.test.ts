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

import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { createConfigRepoCreateAction } from './actions/configRepoCreate';
import { createDeployAction } from './actions/deploy';
import { createFreezeAction, createUnfreezeAction } from './actions/freeze';
import { createPromoteAction } from './actions/promote';
import { createRollbackAction } from './actions/rollback';
import { createSealSecretAction } from './actions/sealSecret';
import {
  createRejectVersionAction,
  createUnrejectVersionAction,
} from './actions/versionRejection';
import { makeOptions } from './__testUtils__/setup';

const TEMPLATES = path.resolve(__dirname, '../../../templates');

type JsonSchema = {
  properties?: Record<string, unknown>;
  required?: string[];
};

const actions = new Map<string, TemplateAction<any, any, any>>(
  [
    createConfigRepoCreateAction(makeOptions()),
    createDeployAction(makeOptions()),
    createPromoteAction(makeOptions()),
    createRollbackAction(makeOptions()),
    createSealSecretAction(makeOptions()),
    createFreezeAction(makeOptions()),
    createUnfreezeAction(makeOptions()),
    createRejectVersionAction(makeOptions()),
    createUnrejectVersionAction(makeOptions()),
  ].map(a => [a.id, a]),
);

/** Actions of the scaffolder backend the templates use, with their outputs. */
const BUILT_IN_OUTPUTS: Record<string, string[]> = {
  'catalog:register': ['entityRef', 'catalogInfoUrl'],
};

function load(file: string) {
  return yaml.parse(fs.readFileSync(path.join(TEMPLATES, file), 'utf8'));
}

/** Every `${{ x.y.z }}` reference in a value. */
function references(value: unknown): string[] {
  const text = JSON.stringify(value);
  return [...text.matchAll(/\$\{\{\s*([\w.]+)/g)].map(m => m[1]);
}

describe('templates', () => {
  const location = load('catalog-info.yaml');

  it('lists every template in the Location', () => {
    expect(location.kind).toBe('Location');
    const files = fs
      .readdirSync(TEMPLATES)
      .filter(f => f.endsWith('.yaml') && f !== 'catalog-info.yaml');
    expect(
      location.spec.targets.map((t: string) => t.replace('./', '')),
    ).toEqual(expect.arrayContaining(files));
    for (const target of location.spec.targets) {
      expect(fs.existsSync(path.join(TEMPLATES, target))).toBe(true);
    }
  });

  it.each([
    'ml-gitops-deploy',
    'ml-gitops-promote',
    'ml-gitops-rollback',
    'ml-gitops-seal-secret',
  ])('%s picks an ml-gitops component and links to the PR', name => {
    const template = load(`${name}.yaml`);
    expect(JSON.stringify(template.spec.output.links)).toContain(
      'output.pullRequestUrl',
    );
    const entityRef = template.spec.parameters[0].properties.entityRef;
    expect(entityRef['ui:field']).toBe('EntityPicker');
    expect(entityRef['ui:options'].catalogFilter).toEqual([
      {
        kind: 'Component',
        'metadata.annotations.ml-gitops/model': { exists: true },
      },
    ]);
  });

  it.each([
    ['ml-gitops-create-config-repo', []],
    ['ml-gitops-deploy', ['entityRef', 'environment']],
    [
      'ml-gitops-promote',
      ['entityRef', 'sourceEnvironment', 'targetEnvironment'],
    ],
    ['ml-gitops-rollback', ['entityRef', 'environment']],
    ['ml-gitops-seal-secret', ['entityRef', 'environment']],
  ])(
    '%s uses existing actions with inputs they accept',
    (name, frontendFormData) => {
      const template = load(`${name}.yaml`);
      expect(template.apiVersion).toBe('scaffolder.backstage.io/v1beta3');
      expect(template.kind).toBe('Template');
      expect(template.metadata.name).toBe(name);

      const parameters: Record<string, any> = Object.assign(
        {},
        ...template.spec.parameters.map((p: any) => p.properties),
      );
      // The frontend links here with these formData keys.
      for (const key of frontendFormData) {
        expect(parameters).toHaveProperty(key);
      }

      const outputs = new Map<string, string[]>();
      const unresolved: string[] = [];
      for (const step of template.spec.steps) {
        if (step.action in BUILT_IN_OUTPUTS) {
          // fed only by outputs of the steps before it
          const missing = references(step.input).filter(ref => {
            const [scope, stepId, output, outputName] = ref.split('.');
            return !(
              scope === 'steps' &&
              output === 'output' &&
              outputs.get(stepId)?.includes(outputName)
            );
          });
          unresolved.push(...missing.map(ref => `${step.id}: ${ref}`));
          outputs.set(step.id, BUILT_IN_OUTPUTS[step.action]);
          continue;
        }
        // An action of this module, or the test cannot check its input.
        expect([...actions.keys()]).toContain(step.action);
        const action = actions.get(step.action)!;
        const input = action.schema!.input as JsonSchema;
        const known = Object.keys(input.properties ?? {});
        for (const key of Object.keys(step.input)) {
          expect(known).toContain(key);
        }
        for (const key of input.required ?? []) {
          expect(Object.keys(step.input)).toContain(key);
        }
        for (const ref of references(step.input)) {
          const [scope, param] = ref.split('.');
          expect(parameters).toHaveProperty(param);
          // Secret values come from `secrets`, everything else from `parameters`.
          expect([param, scope]).toEqual([
            param,
            parameters[param]['ui:field'] === 'Secret'
              ? 'secrets'
              : 'parameters',
          ]);
        }
        outputs.set(
          step.id,
          Object.keys(
            (action.schema!.output as JsonSchema | undefined)?.properties ?? {},
          ),
        );
      }
      // built-in steps are fed only by outputs of the steps before them
      expect(unresolved).toEqual([]);
      const outputRefs = references(template.spec.output).map(r =>
        r.split('.'),
      );
      for (const [, param] of outputRefs.filter(r => r[0] === 'parameters')) {
        expect(parameters).toHaveProperty(param);
      }
      const stepRefs = outputRefs.filter(r => r[0] !== 'parameters');
      expect(stepRefs.length).toBeGreaterThan(0);
      for (const [scope, stepId, output, outputName] of stepRefs) {
        expect(`${scope}.${output}`).toBe('steps.output');
        expect(outputs.get(stepId)).toContain(outputName);
      }
    },
  );

  it('ml-gitops-seal-secret asks for no certificate: it comes from the configuration (#13)', () => {
    const template = load('ml-gitops-seal-secret.yaml');
    const parameters = Object.assign(
      {},
      ...template.spec.parameters.map((p: any) => p.properties),
    );
    for (const field of ['certificate', 'certificateUrl']) {
      expect(parameters).not.toHaveProperty(field);
      for (const step of template.spec.steps) {
        expect(step.input ?? {}).not.toHaveProperty(field);
      }
    }
  });
});
