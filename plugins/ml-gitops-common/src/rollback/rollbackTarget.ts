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
 * One change of an environment's declared version, as the history of its
 * branch shows it.
 *
 * @public
 */
export type DeclaredVersionChange = {
  /** The version the change set. */
  version: string;
  /** The version before it; null or absent for the first declaration. */
  previous?: string | null;
  /** Whether the change was a rollback. */
  rollback: boolean;
};

/**
 * Where a rollback of an environment may go, from its changes (newest
 * first): every earlier version that served there, newest first, except the
 * current one and the versions a rollback left ("rolled back from"). The
 * first candidate that is not rejected in the registry is the default
 * target, so rolling back a rollback goes further back, never forward.
 *
 * @public
 */
export function rollbackCandidates(changes: DeclaredVersionChange[]): {
  /** The version declared now; empty when there are no changes. */
  current: string;
  candidates: string[];
  rolledBackFrom: Set<string>;
} {
  if (changes.length === 0) {
    return { current: '', candidates: [], rolledBackFrom: new Set() };
  }
  const current = changes[0].version;
  const rolledBackFrom = new Set<string>();
  for (const change of changes) {
    if (change.rollback && change.previous) rolledBackFrom.add(change.previous);
  }
  const candidates: string[] = [];
  for (const change of changes) {
    for (const version of [change.version, change.previous]) {
      if (
        version &&
        version !== current &&
        !rolledBackFrom.has(version) &&
        !candidates.includes(version)
      ) {
        candidates.push(version);
      }
    }
  }
  return { current, candidates, rolledBackFrom };
}
