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

// The zod schema of `deploy/model.yaml` (checked against the types in manifestTypes.ts) and its JSON Schema.

import { z } from 'zod';
import { kserveStorageUriProblem } from './storageUri';
import type { ManifestFreeze, ModelManifest } from './manifestTypes';
import {
  DEFAULT_INTEGRATION_TIMEOUT_SECONDS,
  MAX_FREEZE_REASON_LENGTH,
} from './manifestTypes';

export * from './manifestTypes';

/*
 * The schema of a config repo's `deploy/model.yaml`. Every object is strict:
 * an unknown key is an error, so a typo in a gate (`mni: 0.9`) can never pass
 * silently. The TypeScript types are written out for documentation; the zod
 * schema is checked against them.
 */

/**
 * A Kubernetes label value: at most 63 characters of letters, digits, `-`,
 * `_` and `.`, starting and ending with a letter or digit. The model name and
 * version end up in the labels `ml-gitops/model` and `ml-gitops/model-version`.
 */
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A registry metric key (MLflow allows letters, digits, `_ - . / :` and space). */
const METRIC_NAME = /^[A-Za-z0-9_\-./: ]{1,250}$/;
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

const labelValue = (what: string) =>
  z.string().regex(LABEL_VALUE, {
    error: `${what} must be usable as a Kubernetes label value: 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
  });

const timeoutSeconds = z
  .number()
  .int({ error: 'must be a whole number of seconds' })
  .min(1, { error: 'must be at least 1 second' })
  .max(3600, { error: 'must be at most 3600 seconds (one hour)' });

const quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, {
    error: 'must be a Kubernetes quantity such as "500m", "2" or "4Gi"',
  });

const resources = z
  .strictObject({
    cpu: quantity.optional().meta({ description: 'CPU, e.g. "500m" or "2"' }),
    memory: quantity.optional().meta({ description: 'Memory, e.g. "2Gi"' }),
    gpu: z.number().int().min(0).optional().meta({ description: 'GPUs' }),
  })
  .meta({ description: 'Kubernetes resource quantities' });

const metricGate = z
  .strictObject({
    min: z
      .number()
      .optional()
      .meta({ description: 'The metric must be at least this (inclusive)' }),
    max: z
      .number()
      .optional()
      .meta({ description: 'The metric must be at most this (inclusive)' }),
  })
  .superRefine((gate, ctx) => {
    if (gate.min === undefined && gate.max === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'a metric gate needs "min", "max" or both',
        params: { fix: 'Write e.g. { min: 0.9 } or { max: 40 }' },
      });
    } else if (
      gate.min !== undefined &&
      gate.max !== undefined &&
      gate.min > gate.max
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `min (${gate.min}) is greater than max (${gate.max}), so no value can pass`,
        params: { fix: 'Swap min and max, or correct one of them' },
      });
    }
  })
  .meta({
    description:
      'Threshold of one registry metric; at least one of min and max, min <= max',
  });

const integrationCheck = z.union([
  z.string().min(1, { error: 'a command must not be empty' }),
  z.strictObject({
    name: z.string().min(1).optional().meta({ description: 'Display name' }),
    run: z
      .string()
      .min(1, { error: 'a command must not be empty' })
      .meta({ description: 'The command, run with `sh -c` in the repo root' }),
    timeout_seconds: timeoutSeconds
      .optional()
      .meta({ description: 'Timeout of this command in seconds' }),
  }),
]);

const ISO_EXAMPLE = '2026-12-24T00:00:00Z';

/**
 * The zod schema of `freeze:`: a one-line reason and an optional end time.
 *
 * @public
 */
export const manifestFreezeSchema: z.ZodType<ManifestFreeze> = z
  .strictObject({
    reason: z
      .string()
      // Refinements, not .max()/.regex(): only custom issues carry a fix.
      .refine(reason => reason.trim().length > 0, {
        error: 'freeze.reason must not be empty',
        params: { fix: 'Say why, e.g. reason: "incident 4711"' },
      })
      .refine(reason => reason.length <= MAX_FREEZE_REASON_LENGTH, {
        error: `freeze.reason must be at most ${MAX_FREEZE_REASON_LENGTH} characters`,
        params: {
          fix: 'Shorten it; link the incident or ticket for the details',
        },
      })
      .refine(reason => !/[\r\n]/.test(reason), {
        error: 'freeze.reason must be one line',
        params: {
          fix: 'Write it on one line; link the incident or ticket for the details',
        },
      })
      .meta({
        description: `Why the environment is frozen; one line, at most ${MAX_FREEZE_REASON_LENGTH} characters`,
        examples: ['incident 4711'],
        // For editors: what the refinements above check.
        minLength: 1,
        maxLength: MAX_FREEZE_REASON_LENGTH,
        pattern: '^[^\\r\\n]*\\S[^\\r\\n]*$',
      }),
    until: z.iso
      .datetime({
        offset: true,
        error: `freeze.until must be an ISO 8601 time such as ${ISO_EXAMPLE}`,
      })
      .refine(until => !Number.isNaN(Date.parse(until)), {
        error: `freeze.until must be an ISO 8601 time such as ${ISO_EXAMPLE}`,
      })
      .optional()
      .meta({
        description:
          'When the freeze ends by itself: an ISO 8601 date-time with Z or an offset; a time in the past means not frozen',
        examples: [ISO_EXAMPLE],
      }),
  })
  .meta({
    description:
      'Freezes this environment: while active, the pull request check refuses every change of model_version except a rollback (a pull request labelled ml-gitops/rollback)',
  });

/**
 * The zod schema of a model version id (`model_version`): it ends up in the
 * Kubernetes label `ml-gitops/model-version`, so it must be a label value.
 *
 * @public
 */
export const modelVersionSchema = labelValue('model_version').meta({
  description:
    'The registry\'s version id. Always a string: quote it ("12"), or YAML reads it as a number',
  examples: ['12'],
});

/**
 * The zod schema of `deploy/model.yaml`.
 *
 * @public
 */
export const modelManifestSchema: z.ZodType<ModelManifest> = z
  .strictObject({
    model_name: labelValue('model_name').meta({
      description: "The model's name in the registry",
      examples: ['fraud-detector'],
    }),
    model_version: modelVersionSchema,
    registry: z
      .string()
      .min(1, { error: 'registry must not be empty' })
      .optional()
      .meta({
        description: 'Name of the configured registry, e.g. mlflow-default',
      }),
    // An addition to the design contract: the chart serves the model from
    // here, and the deploy, promote and rollback actions set it with
    // model_version.
    storage_uri: z
      .string()
      .superRefine((uri, ctx) => {
        const problem = kserveStorageUriProblem(uri);
        if (problem) {
          ctx.addIssue({
            code: 'custom',
            message: `storage_uri ${problem}`,
            params: {
              fix: "Set it to the registry's artifact location of model_version; the deploy, promote and rollback actions write it",
            },
          });
        }
      })
      .optional()
      .meta({
        description:
          "Where the serving runtime loads model_version from: the registry's artifact location of that version (s3://, gs://, https://, pvc://, hdfs://, webhdfs://)",
        examples: ['s3://mlflow-artifacts/1/0a1b2c/artifacts/model'],
      }),
    serving: z
      .strictObject({
        runtime: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]*$/, {
            error: 'runtime must be a lowercase name such as kserve',
          })
          .meta({ description: 'Serving runtime, e.g. kserve' }),
        replicas: z
          .number()
          .int({ error: 'replicas must be a whole number' })
          .min(0, { error: 'replicas must not be negative' })
          .max(1000, { error: 'replicas must be at most 1000' })
          .meta({
            description: 'Number of serving replicas (0 scales to zero)',
          }),
        resources: z
          .strictObject({
            requests: resources.optional(),
            limits: resources.optional(),
          })
          .optional()
          .meta({ description: 'Resource requests and limits of one replica' }),
      })
      .meta({ description: 'How the model is served' }),
    gates: z
      .strictObject({
        metrics: z
          .record(
            z
              .string()
              .regex(METRIC_NAME, {
                error:
                  'a metric name has 1 to 250 letters, digits, spaces or "_ - . / :"',
              })
              // Names that mean something to every JavaScript object: as
              // keys they reach the prototype instead of a metric.
              .refine(name => !RESERVED_NAMES.has(name), {
                error:
                  'a metric name may not be __proto__, constructor or prototype',
              }),
            metricGate,
          )
          .refine(m => Object.keys(m).length > 0, {
            error: 'gates.metrics must gate at least one metric',
            params: {
              fix: 'Add a metric, e.g. auc: { min: 0.9 }, or remove gates',
            },
          })
          .meta({
            description:
              "Performance gate: metric name → threshold, checked against the registry run's metrics",
          }),
      })
      .optional(),
    checks: z
      .strictObject({
        timeout_seconds: timeoutSeconds.optional().meta({
          description: `Default timeout of each integration check in seconds (default ${DEFAULT_INTEGRATION_TIMEOUT_SECONDS})`,
        }),
        integration: z
          .array(integrationCheck)
          .max(50, { error: 'at most 50 integration checks' })
          .optional()
          .meta({
            description:
              'Commands run by `ml-gitops validate` from the repo root; each must exit 0',
          }),
      })
      .optional(),
    freeze: manifestFreezeSchema.optional(),
  })
  .meta({
    title: 'ML GitOps model manifest',
    description:
      'deploy/model.yaml of an ML GitOps config repo: which model version serves in this environment (the branch)',
  });

/**
 * The `$id` of the JSON Schema of `deploy/model.yaml`.
 *
 * @public
 */
export const MODEL_MANIFEST_SCHEMA_ID =
  'https://raw.githubusercontent.com/ml-gitops/ml-gitops-backstage/main/plugins/ml-gitops-common/schema/model.schema.json';

/**
 * The JSON Schema (draft 2020-12) of `deploy/model.yaml`, for editors. The
 * refinements (min \<= max, at least one threshold) are only enforced by
 * {@link parseModelManifest}.
 *
 * @public
 */
export function getModelManifestJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(modelManifestSchema, {
    target: 'draft-2020-12',
    io: 'input',
  }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return { $schema, $id: MODEL_MANIFEST_SCHEMA_ID, ...rest };
}
