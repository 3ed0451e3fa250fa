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

import type {
  SecretLintRuleContext,
  SecretLintRuleCreator,
  SecretLintSourceCode,
} from '@secretlint/types';
import {
  isMap,
  isPair,
  isScalar,
  LineCounter,
  parseAllDocuments,
  Scalar,
  visit,
  YAMLMap,
  type visitor,
} from 'yaml';

/*
 * Secretlint rules for what the recommended preset does not know about:
 * plaintext Kubernetes Secrets, and credentials under keys named like
 * password/token/secret in configuration files.
 */

const YAML_EXT = /\.(ya?ml|json)$/i;
const MAX_YAML_PARSE_BYTES = 2 * 1024 * 1024;

/**
 * Endings of (normalised: lowercase, letters and digits only) key names whose
 * values are credentials.
 */
const CREDENTIAL_KEY_ENDINGS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'credential',
  'credentials',
];

/** Keys that end like a credential but name a reference to one. */
const REFERENCE_KEYS = new Set(['existingsecret', 'usesecret']);

/** Values that are clearly not real credentials. */
export const PLACEHOLDER =
  /^(?:|\$\{[^}]*\}|\$\{\{[^}]*\}\}|\{\{[^}]*\}\}|<[^>]*>|%\([^)]*\)s?|\$[A-Z_][A-Z0-9_]*|\*+|x+|\.+|-+|changeme|change[-_]?me|replace[-_]?me|to[-_]?do|todo|tbd|dummy|example|placeholder|redacted|secret|password|token|none|null|nil|false|true|ref\+[a-z]+:\/\/.*|vault:.*|(?:sm|ssm|awssm|gcpsm|azkv):\/\/.*)$/i;

/** The keys whose every literal value is a password, whatever its entropy. */
const PASSWORD_KEY = /(?:password|passwd|passphrase)$/i;

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/**
 * Whether a value under a credential-like key looks like a real credential:
 * not a placeholder or reference, and for tokens and keys high-entropy
 * (at least 16 characters and 3.5 bits of entropy per character).
 */
export function looksLikeCredential(key: string, rawValue: string): boolean {
  const value = rawValue.trim();
  if (PLACEHOLDER.test(value)) return false;
  if (/\s/.test(value) && value.split(/\s+/).length > 3) return false; // prose
  if (PASSWORD_KEY.test(key)) {
    return value.length >= 4;
  }
  return value.length >= 16 && shannonEntropy(value) >= 3.5;
}

/** Whether a key name is one whose value is a credential. */
export function isCredentialKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return (
    !REFERENCE_KEYS.has(normalized) &&
    CREDENTIAL_KEY_ENDINGS.some(ending => normalized.endsWith(ending))
  );
}

export function parseYamlDocuments(source: SecretLintSourceCode) {
  if (
    !YAML_EXT.test(source.filePath ?? '') ||
    source.content.length > MAX_YAML_PARSE_BYTES
  ) {
    return undefined;
  }
  try {
    const docs = parseAllDocuments(source.content, {
      lineCounter: new LineCounter(),
      uniqueKeys: false,
      strict: false,
    });
    const list = Array.isArray(docs) ? docs : [];
    if (list.some(d => d.errors.length > 0)) {
      return undefined;
    }
    return list;
  } catch {
    return undefined;
  }
}

/**
 * Visits each YAML document of a file; false when the file is not YAML the
 * parser reads (a Helm template, or too large), for the rule to look at its
 * lines instead.
 */
export function visitYamlDocuments(
  source: SecretLintSourceCode,
  visitorOfDocument: visitor,
): boolean {
  const docs = parseYamlDocuments(source);
  if (!docs) return false;
  for (const doc of docs) {
    visit(doc, visitorOfDocument);
  }
  return true;
}

/** What the secrets check's rules declare: text scanners, on by default. */
export function scannerMeta(name: string): SecretLintRuleCreator['meta'] {
  return {
    id: `@ml-gitops/secretlint-rule-${name}`,
    type: 'scanner',
    recommended: true,
    supportedContentTypes: ['text'],
  };
}

export function scalarString(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string'
    ? node.value
    : undefined;
}

function isNonEmpty(node: unknown): boolean {
  if (isMap(node)) return node.items.length > 0;
  if (isScalar(node)) return node.value !== null && node.value !== '';
  return node !== null && node !== undefined;
}

function reportSecretData(
  context: SecretLintRuleContext,
  t: ReturnType<typeof createKubernetesTranslator>,
  map: YAMLMap,
) {
  for (const item of map.items) {
    const key = scalarString(item.key);
    if ((key === 'data' || key === 'stringData') && isNonEmpty(item.value)) {
      const range = (item.key as Scalar).range;
      if (range) {
        context.report({
          message: t('PlainSecret', { field: key }),
          range: [range[0], range[1]],
        });
      }
    }
  }
}

const kubernetesMessages = {
  PlainSecret: {
    en: (props?: { field?: string }) =>
      `found a plaintext Kubernetes Secret (kind: Secret with ${
        props?.field ?? 'data'
      }); base64 is not encryption`,
  },
};

function createKubernetesTranslator(context: SecretLintRuleContext) {
  return context.createTranslator(kubernetesMessages);
}

/** The lines of a text, with their start offsets. */
export function lines(text: string): Array<{ text: string; start: number }> {
  const out: Array<{ text: string; start: number }> = [];
  let start = 0;
  for (const line of text.split('\n')) {
    out.push({ text: line.replace(/\r$/, ''), start });
    start += line.length + 1;
  }
  return out;
}

/**
 * `ml-gitops/kubernetes-secret`: a Kubernetes `Secret` object with `data` or
 * `stringData` is refused, in plain YAML or JSON manifests and in templates
 * that are not valid YAML (Helm), anywhere in the repository. SealedSecret
 * and ExternalSecret objects are fine.
 */
export const kubernetesSecretRule: SecretLintRuleCreator = {
  messages: kubernetesMessages,
  meta: scannerMeta('kubernetes-secret'),
  create(context) {
    const t = createKubernetesTranslator(context);
    return {
      file(source) {
        const parsed = visitYamlDocuments(source, {
          Map(_key, map) {
            const kind = map.items.find(i => scalarString(i.key) === 'kind');
            if (kind && scalarString(kind.value) === 'Secret') {
              reportSecretData(context, t, map);
            }
          },
        });
        if (parsed) return;
        if (!/kind["']?\s*:\s*["']?Secret\b/.test(source.content)) return;
        // Not parseable as YAML (e.g. a Helm template): look at the lines of
        // each document that declares `kind: Secret`.
        let inSecret = false;
        let docLines: Array<{ text: string; start: number }> = [];
        const flush = () => {
          if (inSecret) {
            for (const line of docLines) {
              const m = /^(\s*)["']?(data|stringData)["']?\s*:\s*(.*)$/.exec(
                line.text,
              );
              if (
                m &&
                ((m[3].trim() !== '' && !/^\{\s*\}$/.test(m[3].trim())) ||
                  hasIndentedChild(docLines, line))
              ) {
                const at = line.start + m[1].length;
                context.report({
                  message: t('PlainSecret', { field: m[2] }),
                  range: [at, at + m[2].length],
                });
              }
            }
          }
          inSecret = false;
          docLines = [];
        };
        for (const line of lines(source.content)) {
          if (/^---/.test(line.text)) {
            flush();
            continue;
          }
          docLines.push(line);
          if (
            /^\s*["']?kind["']?\s*:\s*["']?Secret["']?\s*,?\s*(#.*)?$/.test(
              line.text,
            )
          ) {
            inSecret = true;
          }
        }
        flush();
      },
    };
  },
};

function hasIndentedChild(
  docLines: Array<{ text: string; start: number }>,
  line: { text: string; start: number },
): boolean {
  const index = docLines.indexOf(line);
  const indent = /^\s*/.exec(line.text)![0].length;
  for (const next of docLines.slice(index + 1)) {
    if (next.text.trim() === '' || next.text.trim().startsWith('#')) continue;
    return /^\s*/.exec(next.text)![0].length > indent;
  }
  return false;
}

/** Kinds whose values the credential rule leaves alone. */
const SKIPPED_KINDS = new Set([
  // reported by the kubernetes-secret rule
  'Secret',
  // encrypted
  'SealedSecret',
]);

function insideSecretObject(ancestors: readonly unknown[]): boolean {
  return ancestors.some(node => {
    if (!isMap(node)) return false;
    const kind = node.items.find(i => scalarString(i.key) === 'kind');
    return (
      kind !== undefined && SKIPPED_KINDS.has(scalarString(kind.value) ?? '')
    );
  });
}

const credentialMessages = {
  Credential: {
    en: (props?: { key?: string }) =>
      `found a likely plaintext credential in "${
        props?.key ?? 'a credential key'
      }"`,
  },
};

const ENV_LINE =
  /^\s*(?:export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[=:]\s*(?:"([^"]*)"|'([^']*)'|([^\s#"'][^\s#]*))/;

/**
 * `ml-gitops/credential`: a value under a key named like a password, token,
 * secret or key, that is not a placeholder (`${VAR}`, `{{ … }}`, `<…>`,
 * `changeme`, …). Password keys flag any value; token and key names flag
 * high-entropy values. YAML/JSON are read structurally, other text files
 * (`.env`, properties, scripts) line by line.
 */
export const credentialRule: SecretLintRuleCreator = {
  messages: credentialMessages,
  meta: scannerMeta('credential'),
  create(context) {
    const t = context.createTranslator(credentialMessages);
    const check = (
      key: string,
      value: string,
      range: readonly [number, number],
    ) => {
      if (isCredentialKey(key) && looksLikeCredential(key, value)) {
        context.report({
          message: t('Credential', { key }),
          range: [range[0], range[1]],
        });
      }
    };
    return {
      file(source) {
        const parsed = visitYamlDocuments(source, {
          Pair(_key, pair, ancestors) {
            if (!isPair(pair) || insideSecretObject(ancestors)) return;
            const key = scalarString(pair.key);
            const value = scalarString(pair.value);
            const range = (pair.value as Scalar | undefined)?.range;
            if (key !== undefined && value !== undefined && range) {
              check(key, value, [range[0], range[1]]);
            }
          },
        });
        if (parsed) return;
        for (const line of lines(source.content)) {
          const m = ENV_LINE.exec(line.text);
          if (!m) continue;
          const value = m[2] ?? m[3] ?? m[4] ?? '';
          const at =
            line.start +
            line.text.indexOf(value, m[0].length - value.length - 1);
          check(m[1], value, [at, at + value.length]);
        }
      },
    };
  },
};
