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

import { lintSource } from '@secretlint/core';
import { secretLintProfiler } from '@secretlint/profiler';
import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import type {
  SecretLintCoreConfig,
  SecretLintRuleCreator,
} from '@secretlint/types';
import path from 'node:path';
import { Finding } from '../../report';
import { credentialRule, kubernetesSecretRule } from './kubernetesRules';
import { tokenRule } from './tokens';
import { containerEnvRule, sealedSecretRule } from './workloadRules';

// secretlint profiles every rule on every file by default (performance marks
// kept in memory); on a large repo that costs more than the scan itself.
secretLintProfiler.setEnabled(false);

/** Files larger than this are not scanned and fail the check. */
export const MAX_SCAN_BYTES = 4 * 1024 * 1024;

/** Binary files with these extensions hold keys: refused outright. */
const KEY_STORE = /\.(p12|pfx|jks|keystore|bcfks|kdbx|gpg|asc|ppk)$/i;

const FIXES: Record<string, string> = {
  '@ml-gitops/secretlint-rule-kubernetes-secret':
    'Seal it (kubeseal, or the "seal a secret" template) and commit the SealedSecret under secrets/, or use an ExternalSecret; rotate the exposed value',
  '@ml-gitops/secretlint-rule-credential':
    'Reference the value from a SealedSecret or ExternalSecret instead, or use a placeholder such as ${VAR}; rotate it, it is in the Git history',
  '@ml-gitops/secretlint-rule-container-env':
    'Use valueFrom.secretKeyRef to a SealedSecret or ExternalSecret instead of value; rotate the exposed value, it is in the Git history',
  '@ml-gitops/secretlint-rule-sealed-secret':
    'Seal the value with kubeseal (or the "seal a secret" template) into spec.encryptedData and reference it from the template; rotate the exposed value',
};
export const DEFAULT_FIX =
  'Remove it and rotate the credential (it stays in the Git history); provide it through a SealedSecret, an ExternalSecret or the CI secret store';

/*
 * The recommended preset's rules, registered one by one without its
 * comment filter: the pull request under check must not be able to switch
 * the check off with "secretlint-disable" comments. (secretlint ignores
 * `disabled` for rules inside a preset, so the preset itself is not used.)
 */
const CONFIG: SecretLintCoreConfig = {
  rules: [
    ...recommendedRules
      .filter(
        rule => rule.meta.id !== '@secretlint/secretlint-rule-filter-comments',
      )
      .map(rule => ({ id: rule.meta.id, rule: rule as SecretLintRuleCreator })),
    { id: kubernetesSecretRule.meta.id, rule: kubernetesSecretRule },
    { id: credentialRule.meta.id, rule: credentialRule },
    { id: tokenRule.meta.id, rule: tokenRule },
    { id: containerEnvRule.meta.id, rule: containerEnvRule },
    { id: sealedSecretRule.meta.id, rule: sealedSecretRule },
  ],
};

/**
 * Masks the values a rule put into its message (the secrets it found), so
 * that CI logs never show them. Our own rules only put key names there.
 */
export function maskSecrets(message: string, data: unknown): string {
  let masked = message;
  for (const value of Object.values((data ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && value.length >= 4) {
      masked = masked.split(value).join('*'.repeat(Math.min(value.length, 8)));
    }
  }
  return masked;
}

/**
 * The text of a file, or undefined when it is binary. A byte order mark
 * decides the encoding (UTF-8, UTF-16 LE or BE); without one, a file whose
 * every other byte is NUL is read as UTF-16 (ASCII text saved by editors
 * that default to "Unicode"), any other NUL byte makes it binary, and the
 * rest is read as UTF-8.
 */
export function decodeFileText(bytes: Uint8Array): string | undefined {
  const decode = (encoding: string, from: number) =>
    new TextDecoder(encoding).decode(bytes.subarray(from));
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return decode('utf-8', 3);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decode('utf-16le', 2);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decode('utf-16be', 2);
  const head = bytes.subarray(0, 8000);
  if (!head.includes(0)) return decode('utf-8', 0);
  if (head.length >= 4 && head.length % 2 === 0) {
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i < head.length; i += 2) {
      if (head[i] === 0) evenNul++;
      if (head[i + 1] === 0) oddNul++;
    }
    const pairs = head.length / 2;
    if (oddNul >= pairs * 0.9 && evenNul === 0) return decode('utf-16le', 0);
    if (evenNul >= pairs * 0.9 && oddNul === 0) return decode('utf-16be', 0);
  }
  return undefined;
}

/**
 * Which rule's message is shown when several find the same spot: the
 * structural ones (they say where in the object), then the vendors' token
 * rules (they name the vendor), then the generic ones.
 */
const RULE_PRIORITY = [
  '@ml-gitops/secretlint-rule-sealed-secret',
  '@ml-gitops/secretlint-rule-container-env',
  '@ml-gitops/secretlint-rule-kubernetes-secret',
  '@secretlint/',
  '@ml-gitops/secretlint-rule-credential',
  '@ml-gitops/secretlint-rule-token',
];

function priorityOf(ruleId: string): number {
  const index = RULE_PRIORITY.findIndex(prefix => ruleId.startsWith(prefix));
  return index < 0 ? RULE_PRIORITY.length : index;
}

/** A finding with what identifies it across versions of a file. */
export type ScanFinding = Finding & { ruleId: string; lineText: string };

/**
 * Scans one file's text with every rule; one finding per line (the first
 * rule's), secrets masked. `file` is the repository path (its extension
 * decides the YAML rules).
 */
export async function scanText(
  root: string,
  file: string,
  content: string,
): Promise<ScanFinding[]> {
  const result = await lintSource({
    source: {
      filePath: path.join(root, file),
      content,
      contentType: 'text',
    },
    options: { config: CONFIG, locale: 'en' },
  });
  const textLines = content.split('\n');
  const seen = new Set<number>();
  const findings: ScanFinding[] = [];
  const messages = [...result.messages].sort(
    (a, b) =>
      a.loc.start.line - b.loc.start.line ||
      a.loc.start.column - b.loc.start.column ||
      priorityOf(a.ruleId) - priorityOf(b.ruleId),
  );
  for (const message of messages) {
    const line = message.loc.start.line;
    if (seen.has(line)) continue;
    seen.add(line);
    findings.push({
      severity: 'error',
      file,
      line,
      column: message.loc.start.column + 1,
      // Our own rules only put key names and kinds into their messages.
      message: message.ruleId.startsWith('@ml-gitops/')
        ? message.message
        : maskSecrets(message.message, message.data),
      fix: FIXES[message.ruleId] ?? DEFAULT_FIX,
      ruleId: message.ruleId,
      lineText: (textLines[line - 1] ?? '').replace(/\r$/, '').trim(),
    });
  }
  return findings;
}

/** Whether a binary file's name says it is a key store. */
export function isKeyStore(file: string): boolean {
  return KEY_STORE.test(file);
}
