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

/**
 * Isomorphic (browser and Node) core of ML GitOps for Backstage: the REST API
 * types, catalog annotations, permissions, environment order, the
 * `deploy/model.yaml` schema and editor, drift rules, performance gates and
 * the fetch-based registry clients.
 *
 * @packageDocumentation
 */
export * from './api/types';
export * from './api/audit';
export * from './annotations';
export * from './environments';
export * from './permissions';
export * from './manifest';
export * from './drift';
export * from './serving';
export * from './gates';
export * from './registry';
export * from './canary';
export * from './rollback';
export * from './changes';
export * from './changeRequest';
export * from './answerExcerpt';
export * from './networkMessage';
