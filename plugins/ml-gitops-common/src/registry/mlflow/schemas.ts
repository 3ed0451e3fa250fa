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

// The zod schemas of the MLflow REST answers the client reads (mlflow/protos/model_registry.proto, service.proto).

import { z } from 'zod';

const tagList = z
  .array(z.object({ key: z.string(), value: z.string().optional() }))
  .optional();

export const apiModelVersion = z.looseObject({
  name: z.string(),
  version: z.union([z.string(), z.number()]).transform(String),
  creation_timestamp: z.coerce.number().optional(),
  last_updated_timestamp: z.coerce.number().optional(),
  current_stage: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  status_message: z.string().optional(),
  tags: tagList,
  run_link: z.string().optional(),
  aliases: z.array(z.string()).optional(),
});

export const apiRegisteredModel = z.looseObject({
  name: z.string(),
  creation_timestamp: z.coerce.number().optional(),
  last_updated_timestamp: z.coerce.number().optional(),
  description: z.string().optional(),
  latest_versions: z.array(apiModelVersion).optional(),
  tags: tagList,
  aliases: z
    .array(
      z.object({
        alias: z.string(),
        version: z.union([z.string(), z.number()]).transform(String),
      }),
    )
    .optional(),
});

export const apiRun = z.looseObject({
  info: z.looseObject({
    run_id: z.string(),
    run_name: z.string().optional(),
    experiment_id: z.string().optional(),
    status: z.string().optional(),
    lifecycle_stage: z.string().optional(),
    artifact_uri: z.string().optional(),
  }),
  data: z
    .looseObject({
      metrics: z
        .array(
          z.object({
            key: z.string(),
            // MLflow serialises NaN and infinities as strings.
            value: z.union([z.number(), z.string()]),
            timestamp: z.coerce.number().optional(),
            step: z.coerce.number().optional(),
          }),
        )
        .optional(),
      params: z
        .array(z.object({ key: z.string(), value: z.string() }))
        .optional(),
      tags: z
        .array(z.object({ key: z.string(), value: z.string() }))
        .optional(),
    })
    .optional(),
});

export const apiError = z.looseObject({
  error_code: z.string(),
  message: z.string().optional(),
});
