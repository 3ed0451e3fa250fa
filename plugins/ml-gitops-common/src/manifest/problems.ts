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
 * What kind of problem a manifest has.
 *
 * @public
 */
export type ManifestProblemCode =
  | 'too-large'
  | 'binary'
  | 'encoding'
  | 'empty'
  | 'yaml-syntax'
  | 'duplicate-key'
  | 'alias'
  | 'anchor'
  | 'tag'
  | 'multiple-documents'
  | 'not-a-mapping'
  | 'missing-field'
  | 'unknown-key'
  | 'wrong-type'
  | 'invalid-value';

/**
 * One problem found in a manifest, with where it is and how to fix it.
 *
 * @public
 */
export type ManifestProblem = {
  code: ManifestProblemCode;
  /** The file as the caller named it (e.g. `deploy/model.yaml`). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The dotted path of the offending field, when the problem is in one. */
  field?: string;
  /** What is wrong. */
  message: string;
  /** How to fix it. */
  fix: string;
};

/**
 * Formats a problem the way compilers do:
 * `deploy/model.yaml:3:16: model_version must be a string (fix: …)`.
 *
 * @public
 */
export function formatManifestProblem(problem: ManifestProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message} (fix: ${problem.fix})`;
}
