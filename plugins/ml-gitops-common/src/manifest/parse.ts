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

// parseModelManifest: the text of `deploy/model.yaml` parsed strictly and validated, or every problem with a fix.

import { isMap, isScalar } from 'yaml';
import { ManifestProblem } from './problems';
import { ModelManifest, modelManifestSchema } from './schema';
import { describeValue, EXAMPLES, issueToProblems } from './schemaIssues';
import { ProblemCollector } from './problemCollector';
import { parseYamlStrict } from './yamlSafe';

/**
 * Options of {@link parseModelManifest}.
 *
 * @public
 */
export type ParseModelManifestOptions = {
  /** The file name used in problems; defaults to `deploy/model.yaml`. */
  path?: string;
  /** Size limit in bytes; defaults to {@link MAX_MANIFEST_BYTES}. */
  maxBytes?: number;
};

/**
 * The result of {@link parseModelManifest}: the manifest, or every problem.
 *
 * @public
 */
export type ParseModelManifestResult =
  | { ok: true; manifest: ModelManifest }
  | { ok: false; problems: ManifestProblem[] };

/**
 * Parses and validates the text (or bytes) of `deploy/model.yaml`.
 *
 * Never throws for bad input: it returns every problem with its file, line,
 * column and a fix. Refused besides schema violations: YAML syntax errors,
 * duplicate keys, anchors and aliases (no "billion laughs"), explicit tags,
 * several documents, a root that is not a mapping, more than `maxBytes`,
 * binary content and bytes that are not UTF-8.
 *
 * @public
 */
export function parseModelManifest(
  input: string | Uint8Array,
  options: ParseModelManifestOptions = {},
): ParseModelManifestResult {
  const path = options.path ?? 'deploy/model.yaml';
  const parsed = parseYamlStrict(input, { path, maxBytes: options.maxBytes });
  if (!parsed.ok) {
    return parsed;
  }
  const { text, documents, lineCounter } = parsed.yaml;
  const problems = new ProblemCollector(path, lineCounter);
  const doc = documents[0];
  if (
    !doc ||
    doc.contents === null ||
    (isScalar(doc.contents) && doc.contents.value === null)
  ) {
    problems.addAt(
      'empty',
      1,
      1,
      'file is empty',
      `Write the manifest, at least: ${EXAMPLES.model_name}, ${EXAMPLES.model_version}, ${EXAMPLES.serving}`,
    );
    return { ok: false, problems: problems.sorted() };
  }
  if (!isMap(doc.contents)) {
    problems.add(
      'not-a-mapping',
      doc.contents.range?.[0] ?? 0,
      `the file must be a mapping of keys (model_name:, model_version:, …), not ${describeValue(
        doc.contents,
      )}`,
      `Start the file with keys such as ${EXAMPLES.model_name}`,
    );
    return { ok: false, problems: problems.sorted() };
  }

  const value = doc.toJS({ maxAliasCount: 0 });
  const result = modelManifestSchema.safeParse(value);
  if (result.success) {
    return { ok: true, manifest: result.data };
  }
  for (const issue of result.error.issues) {
    issueToProblems(issue, doc, text, problems);
  }
  return { ok: false, problems: problems.sorted() };
}
