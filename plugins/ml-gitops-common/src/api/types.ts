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

// The backend REST API's shapes, gathered from one module per area so `./api/types` imports keep working.

/*
 * The shapes of the ml-gitops backend REST API (`/api/ml-gitops`), exactly as
 * fixed by the design contract. The backend produces them and the frontend
 * consumes them; both import them from here so they cannot drift apart.
 *
 * All timestamps are ISO 8601 strings in UTC.
 */

export * from './drift';
export * from './status';
export * from './history';
export * from './fleet';
export * from './signals';
