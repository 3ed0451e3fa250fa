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

import { parseYamlStrict } from '@ml-gitops/plugin-ml-gitops-common';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar } from 'yaml';
import { readRepoFile, resolveInRepo } from '../lib/files';
import { CheckResult, errorFindings, failed, Finding, passed } from '../report';

const TITLE = 'Config repo layout';
const SECRETS_DIR = 'secrets';
const MAX_SECRET_FILE_BYTES = 1024 * 1024;

/** The kinds allowed in `secrets/`: encrypted or referenced, never plain. */
const ALLOWED_KINDS: Record<string, RegExp> = {
  SealedSecret: /^bitnami\.com\//,
  ExternalSecret: /^external-secrets\.io\//,
};

/**
 * Checks the files the layout names besides the manifest: every file under
 * `secrets/` is YAML holding only SealedSecret or ExternalSecret objects.
 */
export async function checkLayout(root: string): Promise<CheckResult> {
  const findings: Finding[] = [];
  const dir = path.join(root, SECRETS_DIR);
  const stat = await fs.lstat(dir).catch(() => undefined);
  if (!stat) {
    return passed('layout', TITLE, 'no secrets/ directory');
  }
  if (!stat.isDirectory()) {
    return failed('layout', TITLE, 'secrets/ is not a directory', [
      {
        severity: 'error',
        file: SECRETS_DIR,
        message:
          'secrets/ must be a directory of SealedSecret or ExternalSecret files',
        fix: 'Replace it with a directory (a symlink is not allowed)',
      },
    ]);
  }
  const files: string[] = [];
  const walk = async (rel: string) => {
    for (const entry of await fs.readdir(path.join(root, rel), {
      withFileTypes: true,
    })) {
      const child = `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(child);
      else files.push(child);
    }
  };
  await walk(SECRETS_DIR);
  for (const file of files.sort()) {
    if (
      path.basename(file) === '.gitkeep' ||
      /(^|\/)README(\.md)?$/i.test(file)
    )
      continue;
    if (!/\.ya?ml$/i.test(file)) {
      findings.push({
        severity: 'error',
        file,
        line: 1,
        message: `${file} is not a YAML file; secrets/ holds only SealedSecret and ExternalSecret manifests`,
        fix: 'Seal the value into a SealedSecret (secrets/<name>.sealed.yaml) and delete this file',
      });
      continue;
    }
    const resolved = resolveInRepo(root, file);
    const read =
      'absolute' in resolved
        ? await readRepoFile(root, resolved, MAX_SECRET_FILE_BYTES)
        : resolved;
    if (!('bytes' in read)) {
      findings.push({
        severity: 'error',
        file,
        line: 1,
        message: read.message,
        fix: read.fix,
      });
      continue;
    }
    const parsed = parseYamlStrict(read.bytes, {
      path: file,
      maxBytes: MAX_SECRET_FILE_BYTES,
      allowMultipleDocuments: true,
    });
    if (!parsed.ok) {
      findings.push(...errorFindings(parsed.problems));
      continue;
    }
    const { documents, lineCounter } = parsed.yaml;
    for (const doc of documents) {
      const root_ = doc.contents;
      if (root_ === null) continue;
      const offset = root_.range?.[0] ?? 0;
      const pos = lineCounter.linePos(offset);
      const kindNode = isMap(root_) ? root_.get('kind', true) : undefined;
      const apiNode = isMap(root_) ? root_.get('apiVersion', true) : undefined;
      const kind = isScalar(kindNode) ? String(kindNode.value) : undefined;
      const apiVersion = isScalar(apiNode) ? String(apiNode.value) : '';
      const allowed =
        kind !== undefined && ALLOWED_KINDS[kind]?.test(apiVersion);
      if (!allowed) {
        findings.push({
          severity: 'error',
          file,
          line: pos.line,
          column: pos.col,
          message: `${file} holds ${
            kind
              ? `a ${kind} (${apiVersion || 'no apiVersion'})`
              : 'an object without kind'
          }; secrets/ holds only SealedSecret (bitnami.com) and ExternalSecret (external-secrets.io) objects`,
          fix:
            kind === 'Secret'
              ? 'Seal it with kubeseal and commit the SealedSecret instead; rotate the exposed value'
              : 'Move this object out of secrets/',
        });
      }
    }
  }
  if (findings.length > 0) {
    return failed(
      'layout',
      TITLE,
      `${findings.length} problem${
        findings.length === 1 ? '' : 's'
      } under secrets/`,
      findings,
    );
  }
  return passed(
    'layout',
    TITLE,
    `${files.length} file${
      files.length === 1 ? '' : 's'
    } under secrets/, all sealed or external`,
  );
}
