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

/** A valid `deploy/model.yaml`, used by the tests and the benchmark. */
export const MANIFEST = `# fraud-detector, dev
model_name: fraud-detector
model_version: "13"
registry: mlflow-default
serving: { runtime: kserve, replicas: 2 }
gates:
  metrics:
    auc: { min: 0.92 }
    latency_p95_ms: { max: 40 }
`;
