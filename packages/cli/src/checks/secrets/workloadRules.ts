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

import type { SecretLintRuleCreator } from '@secretlint/types';
import { isMap, isPair, isScalar, isSeq, Scalar, YAMLMap } from 'yaml';
import {
  isCredentialKey,
  lines,
  looksLikeCredential,
  PLACEHOLDER,
  scalarString,
  scannerMeta,
  shannonEntropy,
  visitYamlDocuments,
} from './kubernetesRules';
import { decodeBase64Text, findTokens, tokenKindOf } from './tokens';

/*
 * Rules for secrets inside Kubernetes objects that are not Secrets:
 * plaintext values in container environments, and SealedSecrets whose
 * "encrypted" data is not ciphertext or whose template (which the
 * controller copies into the Secret unencrypted) holds a secret.
 */

/** Words of an environment variable name that make its value a secret. */
const SECRET_WORDS = new Set([
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'TOKEN',
  'SECRET',
  'CREDENTIAL',
  'CREDENTIALS',
  'APIKEY',
  'ACCESSKEY',
  'SECRETKEY',
  'PRIVATEKEY',
]);
/** Two-word names of keys: API_KEY, ACCESS_KEY, … */
const KEY_QUALIFIERS = new Set([
  'API',
  'ACCESS',
  'SECRET',
  'PRIVATE',
  'SIGNING',
  'ENCRYPTION',
  'MASTER',
  'AUTH',
]);
/** Last words that make the variable name a secret's name, path or property. */
const NOT_A_VALUE = new Set([
  'FILE',
  'PATH',
  'DIR',
  'NAME',
  'REF',
  'URL',
  'URI',
  'ENDPOINT',
  'HOST',
  'PORT',
  'ID',
  'TYPE',
  'HEADER',
  'TTL',
  'EXPIRY',
  'EXPIRES',
  'EXPIRATION',
  'LENGTH',
  'LIMIT',
  'COUNT',
  'SIZE',
  'MAX',
  'MIN',
  'TIMEOUT',
  'ENABLED',
  'MOUNT',
  'FIELD',
  'LOCATION',
  'VERSION',
]);

/**
 * Whether an environment variable's name says its value is a secret:
 * DB_PASSWORD, HF_TOKEN, AWS_SECRET_ACCESS_KEY, OPENAI_API_KEY, clientSecret…
 * but not HF_TOKEN_PATH, AWS_ACCESS_KEY_ID, MAX_TOKENS or TOKENIZERS_PARALLELISM.
 */
export function isSecretEnvName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  if (words.length === 0 || NOT_A_VALUE.has(words[words.length - 1])) {
    return false;
  }
  return words.some(
    (word, i) =>
      SECRET_WORDS.has(word) ||
      (word === 'KEY' && i > 0 && KEY_QUALIFIERS.has(words[i - 1])),
  );
}

/** Whether a value is written literally (not a placeholder or a template). */
export function isLiteral(value: string): boolean {
  const v = value.trim();
  return (
    v.length >= 4 &&
    !PLACEHOLDER.test(v) &&
    !/\{\{|\$\{|\$\(/.test(v) &&
    // Kubernetes' dependent variables: $(OTHER_VAR)
    !/^\$\([A-Za-z_][A-Za-z0-9_]*\)$/.test(v)
  );
}

/** What is wrong with an env value, or undefined when it is fine. */
function envProblem(name: string, value: string): string | undefined {
  const token = tokenKindOf(value.trim());
  if (token) {
    return `the container environment variable ${name} holds a ${token} in plain text (value masked)`;
  }
  if (isSecretEnvName(name) && isLiteral(value)) {
    return `the container environment variable ${name} holds a plaintext value (masked); its name says it is a secret`;
  }
  return undefined;
}

/** Keys whose value is a list of container environment variables. */
const ENV_KEY = /^(?:env|[A-Za-z]*Env(?:Vars)?)$/;

const envMessages = {
  EnvValue: { en: (props?: { text?: string }) => props?.text ?? '' },
};

/** `- name: X` of an env list in a file that is not valid YAML (Helm). */
const ENV_NAME_LINE =
  /^(\s*)-\s+name:\s*["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*(?:#.*)?$/;
const ENV_FLOW_LINE =
  /^\s*-\s+\{\s*name:\s*["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*,\s*value:\s*(.*?)\s*\}\s*(?:#.*)?$/;
const VALUE_LINE = /^(\s*)value:\s*(.*?)\s*$/;

function unquote(text: string): string {
  const t = text.replace(/\s+#.*$/, '').trim();
  if (/^"(.*)"$/.test(t) || /^'(.*)'$/.test(t)) return t.slice(1, -1);
  return t;
}

/**
 * `ml-gitops/container-env`: a plaintext secret in a container's `env`
 * (`- name: X` / `value: Y`) of any object with a pod template — Pods,
 * Deployments, Jobs, KServe InferenceServices, Helm values — when the name
 * says it is a secret (PASSWORD, TOKEN, SECRET, API_KEY, ACCESS_KEY,
 * PRIVATE_KEY, …) or the value is a known token format. `valueFrom` is the
 * way: a secretKeyRef to a sealed or external Secret.
 */
export const containerEnvRule: SecretLintRuleCreator = {
  messages: envMessages,
  meta: scannerMeta('container-env'),
  create(context) {
    const t = context.createTranslator(envMessages);
    const report = (text: string, range: readonly [number, number]) =>
      context.report({ message: t('EnvValue', { text }), range: [...range] });
    return {
      file(source) {
        const parsed = visitYamlDocuments(source, {
          Pair(_key, pair) {
            const key = scalarString(pair.key);
            if (!key || !ENV_KEY.test(key) || !isSeq(pair.value)) return;
            for (const item of pair.value.items) {
              if (!isMap(item)) continue;
              const name = scalarString(item.get('name', true));
              const valueNode = item.get('value', true);
              if (!name || !isScalar(valueNode) || !valueNode.range) {
                continue;
              }
              const problem = envProblem(name, String(valueNode.value));
              if (problem) {
                report(problem, [valueNode.range[0], valueNode.range[1]]);
              }
            }
          },
        });
        if (parsed) return;
        if (!/\.(ya?ml|tpl)$/i.test(source.filePath ?? '')) return;
        const all = lines(source.content);
        all.forEach((line, i) => {
          const flow = ENV_FLOW_LINE.exec(line.text);
          if (flow) {
            const problem = envProblem(flow[1], unquote(flow[2]));
            const at = line.start + line.text.indexOf('value:');
            if (problem) report(problem, [at, at + 6]);
            return;
          }
          const named = ENV_NAME_LINE.exec(line.text);
          if (!named) return;
          const indent = named[1].length;
          for (const next of all.slice(i + 1, i + 8)) {
            if (next.text.trim() === '' || next.text.trim().startsWith('#')) {
              continue;
            }
            const leading = /^\s*/.exec(next.text)![0].length;
            if (leading <= indent) break;
            const value = VALUE_LINE.exec(next.text);
            if (value) {
              const problem = envProblem(named[2], unquote(value[2]));
              const at = next.start + value[1].length;
              if (problem) report(problem, [at, at + 6]);
              break;
            }
          }
        });
      },
    };
  },
};

/**
 * The shortest possible Sealed Secrets value. A value is the 2-byte
 * big-endian length of the encrypted session key, the 32-byte session key
 * encrypted with RSA-OAEP (SHA-256), then the AES-256-GCM ciphertext with its
 * 16-byte tag
 * (https://github.com/bitnami-labs/sealed-secrets/blob/main/docs/developer/crypto.md).
 * OAEP with SHA-256 needs a modulus of at least 32 + 2 * 32 + 2 = 98 bytes
 * (RFC 8017 §7.1.1), so a value has at least 2 + 98 + 16 = 116 bytes:
 * 4 * ceil(116 / 3) = 156 base64 characters. (The controller's own keys are
 * 4096 bits: 530 bytes and more.)
 */
export const MIN_SEALED_VALUE_LENGTH = 156;

/** Why a SealedSecret's encryptedData value is not ciphertext, if it is not. */
export function notCiphertext(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (compact === '') return 'it is empty';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    return 'it is not base64 (kubeseal writes standard base64)';
  }
  if (compact.length < MIN_SEALED_VALUE_LENGTH) {
    return `it is ${compact.length} characters long; a sealed value is at least ${MIN_SEALED_VALUE_LENGTH} (an RSA-encrypted session key and an AES-GCM tag)`;
  }
  if (decodeBase64Text(compact) !== undefined) {
    return 'it decodes to readable text: it is encoded, not encrypted';
  }
  // The first byte is the high byte of the session key's length: 0 to 4
  // for keys of up to 8192 bits. DER keys and certificates start with 0x30.
  if (Buffer.from(compact, 'base64')[0] > 4) {
    return 'it does not start with the length of an encrypted session key, as Sealed Secrets ciphertext does';
  }
  if (shannonEntropy(compact) < 5) {
    return 'it is too regular to be ciphertext';
  }
  return undefined;
}

/** What is wrong with a value of a SealedSecret's template, if anything. */
function templateProblem(key: string, value: string): string | undefined {
  const texts = [value];
  const decoded = decodeBase64Text(value);
  if (decoded !== undefined) texts.push(decoded);
  for (const text of texts) {
    const token = findTokens(text)[0];
    if (token) return `a ${token.kind}`;
  }
  if (isSecretEnvName(key) || isCredentialKey(key)) {
    if (isLiteral(value)) return `a plaintext value under "${key}"`;
  }
  for (const text of texts) {
    for (const line of lines(text)) {
      const m =
        /^\s*(?:export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[=:]\s*["']?([^"'\s#]+)/.exec(
          line.text,
        );
      if (
        m &&
        isCredentialKey(m[1]) &&
        isLiteral(m[2]) &&
        looksLikeCredential(m[1], m[2])
      ) {
        return `a plaintext value under "${m[1]}"`;
      }
    }
  }
  return undefined;
}

const sealedMessages = {
  Sealed: { en: (props?: { text?: string }) => props?.text ?? '' },
};

function reportSealedSecret(
  report: (text: string, range: readonly [number, number]) => void,
  map: YAMLMap,
) {
  const metadata = map.get('metadata', true);
  const name =
    (isMap(metadata) ? scalarString(metadata.get('name', true)) : undefined) ??
    '(no name)';
  const spec = map.get('spec', true);
  if (!isMap(spec)) return;
  const encrypted = spec.get('encryptedData', true);
  if (isMap(encrypted)) {
    for (const pair of encrypted.items) {
      const key = scalarString(pair.key) ?? '?';
      const node = pair.value;
      const range = (isScalar(node) ? node.range : undefined) ??
        (pair.key as Scalar | null)?.range ?? [0, 0];
      const why =
        isScalar(node) && typeof node.value === 'string'
          ? notCiphertext(node.value)
          : 'it is not a string';
      if (why) {
        report(
          `spec.encryptedData.${key} of SealedSecret ${name} does not look like Sealed Secrets ciphertext: ${why}`,
          [range[0], range[1]],
        );
      }
    }
  }
  const template = spec.get('template', true);
  if (!isMap(template)) return;
  for (const field of ['data', 'stringData']) {
    const data = template.get(field, true);
    if (!isMap(data)) continue;
    for (const pair of data.items) {
      const key = scalarString(pair.key);
      const node = pair.value;
      if (!key || !isScalar(node) || typeof node.value !== 'string') continue;
      const problem = templateProblem(key, node.value);
      if (problem && node.range) {
        report(
          `spec.template.${field}.${key} of SealedSecret ${name} holds ${problem} (value masked); the controller copies spec.template into the Secret unencrypted`,
          [node.range[0], node.range[1]],
        );
      }
    }
  }
}

/**
 * `ml-gitops/sealed-secret`: every `spec.encryptedData` value of a
 * SealedSecret must look like Sealed Secrets ciphertext (base64, long enough
 * for an encrypted session key, not decoding to text), and its
 * `spec.template.data` / `stringData` — copied into the Secret as they are —
 * must hold no token, no plaintext value under a secret's name and no
 * credential line.
 */
export const sealedSecretRule: SecretLintRuleCreator = {
  messages: sealedMessages,
  meta: scannerMeta('sealed-secret'),
  create(context) {
    const t = context.createTranslator(sealedMessages);
    const report = (text: string, range: readonly [number, number]) =>
      context.report({ message: t('Sealed', { text }), range: [...range] });
    return {
      file(source) {
        visitYamlDocuments(source, {
          Map(_key, map) {
            const kind = map.items.find(
              i => isPair(i) && scalarString(i.key) === 'kind',
            );
            if (kind && scalarString(kind.value) === 'SealedSecret') {
              reportSealedSecret(report, map);
            }
          },
        });
      },
    };
  },
};
