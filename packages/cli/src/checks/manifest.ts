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

import {
  MAX_MANIFEST_BYTES,
  ModelManifest,
  parseModelManifest,
} from '@ml-gitops/plugin-ml-gitops-common';
import { readRepoFile, RepoPath } from '../lib/files';
import { CheckResult, errorFindings, failed, passed } from '../report';

const TITLE = 'Manifest schema';

/** The manifest check's result, with the manifest when it is valid. */
export type ManifestCheck = {
  result: CheckResult;
  manifest?: ModelManifest;
  /** The raw bytes, for later comparison. */
  bytes?: Uint8Array;
};

/** Reads and validates `deploy/model.yaml` (or the given manifest path). */
export async function checkManifest(
  root: string,
  file: RepoPath,
): Promise<ManifestCheck> {
  const read = await readRepoFile(root, file, MAX_MANIFEST_BYTES);
  if (!('bytes' in read)) {
    const result: CheckResult = {
      id: 'manifest',
      title: TITLE,
      status: read.kind === 'io' ? 'error' : 'failed',
      summary: read.message,
      findings: [
        {
          severity: 'error',
          file: file.relative,
          line: 1,
          column: 1,
          message: read.message,
          fix: read.fix,
        },
      ],
    };
    return { result };
  }
  const parsed = parseModelManifest(read.bytes, { path: file.relative });
  if (!parsed.ok) {
    return {
      result: failed(
        'manifest',
        TITLE,
        `${file.relative} has ${parsed.problems.length} problem${
          parsed.problems.length === 1 ? '' : 's'
        }`,
        errorFindings(parsed.problems),
      ),
    };
  }
  const m = parsed.manifest;
  return {
    manifest: m,
    bytes: read.bytes,
    result: passed(
      'manifest',
      TITLE,
      `${file.relative}: ${m.model_name} version "${m.model_version}"`,
      [],
      {
        manifest: m,
      },
    ),
  };
}
