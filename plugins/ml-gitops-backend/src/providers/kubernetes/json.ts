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

/*
 * Careful readers of Kubernetes objects: a field of the wrong type reads as
 * absent instead of throwing, so one malformed object cannot stop a poll.
 */

export type Json = Record<string, unknown>;

export function record(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Json)
    : {};
}

export function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A traffic share, clamped to 0-100. */
export function percent(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.max(0, Math.min(100, value))
    : undefined;
}

/** How Kubernetes writes a time (metav1.Time: RFC 3339, UTC, seconds). */
const KUBERNETES_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** An RFC 3339 time as ISO 8601 UTC. */
export function timestamp(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return undefined;
  // The common form needs only its milliseconds: no Date to build per field
  // of thousands of objects a cycle.
  return KUBERNETES_TIME.test(value)
    ? `${value.slice(0, 19)}.000Z`
    : new Date(ms).toISOString();
}
