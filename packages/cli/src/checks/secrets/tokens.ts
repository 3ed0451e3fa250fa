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

/*
 * Token formats the scanner recognises by their shape, written for this
 * project from each vendor's documentation of the format (cited next to each
 * pattern). They are used three ways: on every line of every file (the
 * `tokens` rule below), on values the structural rules look at (container
 * env values, SealedSecret templates), and on the text a base64 value decodes
 * to, so that an encoded token or private key is found too.
 */

/** A token found in a text: what it is and where. */
export type TokenMatch = { kind: string; index: number; length: number };

type TokenFormat = {
  kind: string | ((match: RegExpExecArray) => string);
  pattern: RegExp;
  /** A further test of the match (e.g. that a JWT's header is JSON). */
  accept?: (match: RegExpExecArray) => boolean;
};

/**
 * GitLab's token prefixes and what they stand for
 * (https://docs.gitlab.com/security/tokens/#token-prefixes). A token is the
 * prefix, a random part of at least 20 URL-safe characters and, for
 * "routable" tokens (GitLab 17.x and later), a `.`-separated version and
 * checksum (https://handbook.gitlab.com/handbook/engineering/architecture/design-documents/cells/routable_tokens/).
 */
const GITLAB_PREFIXES: Record<string, string> = {
  glpat: 'GitLab personal, project or group access token',
  gloas: 'GitLab OAuth application secret',
  gldt: 'GitLab deploy token',
  glrt: 'GitLab runner authentication token',
  glcbt: 'GitLab CI/CD job token',
  glptt: 'GitLab pipeline trigger token',
  glft: 'GitLab feed token',
  glimt: 'GitLab incoming mail token',
  glagent: 'GitLab agent for Kubernetes token',
  glsoat: 'GitLab SCIM token',
  glffct: 'GitLab feature flags client token',
};

const FORMATS: TokenFormat[] = [
  {
    // Hugging Face User Access Tokens start with `hf_`
    // (https://huggingface.co/docs/hub/security-tokens); the random part is
    // letters (34 of them today). Digits are allowed here so that a future
    // longer alphabet is still found.
    kind: 'Hugging Face access token',
    pattern: /(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,40}(?![A-Za-z0-9])/g,
  },
  {
    // The deprecated Organization API Tokens of Hugging Face, `api_org_`
    // (same page: "Organization API Tokens have been deprecated").
    kind: 'Hugging Face organization API token',
    pattern: /(?<![A-Za-z0-9_])api_org_[A-Za-z0-9]{30,40}(?![A-Za-z0-9])/g,
  },
  {
    kind: match => GITLAB_PREFIXES[match[1]] ?? `GitLab ${match[1]} token`,
    pattern: new RegExp(
      `(?<![A-Za-z0-9_-])(${Object.keys(GITLAB_PREFIXES).join(
        '|',
      )})-[A-Za-z0-9_-]{20,320}(?:\\.[A-Za-z0-9]{1,4}\\.[A-Za-z0-9]{5,12})?(?![A-Za-z0-9_-])`,
      'g',
    ),
  },
  {
    // Databricks personal access tokens: `dapi` and 32 hexadecimal digits,
    // on Azure with a `-<digit>` suffix
    // (https://docs.databricks.com/aws/en/dev-tools/auth/pat).
    kind: 'Databricks personal access token',
    pattern: /(?<![A-Za-z0-9])dapi[0-9a-fA-F]{32}(?:-[0-9])?(?![A-Za-z0-9])/g,
  },
  {
    // PEM private keys (RFC 7468 §2 and §10-11; OpenSSH's own "OPENSSH
    // PRIVATE KEY" label follows the same encapsulation).
    // The body must follow, up to the matching END line, so that a text
    // that only names the header (documentation) is not a finding.
    kind: 'private key',
    pattern:
      /-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY-----[\sA-Za-z0-9+/=:,.-]{20,20000}?-----END \1PRIVATE KEY-----/g,
  },
  {
    // JSON Web Tokens in the JWS compact serialization (RFC 7519 §3, RFC
    // 7515 §7.1): three base64url segments separated by dots, the first a
    // JSON header with an "alg" member (RFC 7515 §4.1.1). A JSON object
    // starts with "{", which base64url-encodes as "ey" ({") or "ew" ({ and
    // white space). Unsigned tokens (empty signature) are left alone.
    kind: 'JSON Web Token',
    pattern:
      /(?<![A-Za-z0-9_-])(e[wy][A-Za-z0-9_-]{6,})\.([A-Za-z0-9_-]{4,})\.([A-Za-z0-9_-]{16,})(?![A-Za-z0-9_.-])/g,
    accept: match => jwtHeaderHasAlg(match[1]),
  },
];

/** Whether a base64url segment decodes to a JSON object with a string `alg`. */
export function jwtHeaderHasAlg(segment: string): boolean {
  try {
    const header = JSON.parse(
      Buffer.from(segment, 'base64url').toString('utf8'),
    );
    return (
      typeof header === 'object' &&
      header !== null &&
      !Array.isArray(header) &&
      typeof header.alg === 'string' &&
      header.alg.length > 0
    );
  } catch {
    return false;
  }
}

/** Runs of base64 (or base64url) long enough to hide a token or a key. */
const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,}={0,2}/g;

/** Every token of a known format in a text (not decoding anything). */
export function findPlainTokens(text: string): TokenMatch[] {
  const found: TokenMatch[] = [];
  for (const format of FORMATS) {
    format.pattern.lastIndex = 0;
    for (const match of text.matchAll(format.pattern)) {
      const m = match as RegExpExecArray;
      if (format.accept && !format.accept(m)) continue;
      found.push({
        kind: typeof format.kind === 'string' ? format.kind : format.kind(m),
        index: m.index,
        length: m[0].length,
      });
    }
  }
  return found.sort((a, b) => a.index - b.index);
}

/**
 * The text a base64 value decodes to, when it is text (valid UTF-8 without
 * control characters other than white space); undefined for binary data.
 */
export function decodeBase64Text(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (compact.length < 8 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) {
    return undefined;
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0e-\x1f\x7f]/.test(text) ? undefined : text;
}

/**
 * Tokens in a text, plain or inside base64: a run of base64 that decodes to
 * text holding a token or a private key is reported over the whole run, as
 * "<kind> (base64-encoded)".
 */
export function findTokens(text: string): TokenMatch[] {
  const found = findPlainTokens(text);
  const covered = (index: number, length: number) =>
    found.some(f => index < f.index + f.length && f.index < index + length);
  BASE64_RUN.lastIndex = 0;
  for (const match of text.matchAll(BASE64_RUN)) {
    const index = match.index ?? 0;
    if (covered(index, match[0].length)) continue;
    const decoded = decodeBase64Text(match[0]);
    const inner = decoded === undefined ? [] : findPlainTokens(decoded);
    if (inner.length > 0) {
      found.push({
        kind: `${inner[0].kind} (base64-encoded)`,
        index,
        length: match[0].length,
      });
    }
  }
  return found.sort((a, b) => a.index - b.index);
}

/** The first token in a value, plain or base64-encoded (the whole value). */
export function tokenKindOf(value: string): string | undefined {
  const plain = findTokens(value)[0];
  if (plain) return plain.kind;
  const decoded = decodeBase64Text(value);
  const inner = decoded === undefined ? undefined : findPlainTokens(decoded)[0];
  return inner ? `${inner.kind} (base64-encoded)` : undefined;
}

const tokenMessages = {
  Token: {
    en: (props?: { kind?: string }) =>
      `found a ${props?.kind ?? 'token'} (value masked)`,
  },
};

/**
 * `ml-gitops/token`: the token formats above, anywhere in a text file,
 * plain or base64-encoded. The message names the kind only.
 */
export const tokenRule: SecretLintRuleCreator = {
  messages: tokenMessages,
  meta: {
    id: '@ml-gitops/secretlint-rule-token',
    type: 'scanner',
    recommended: true,
    supportedContentTypes: ['text'],
  },
  create(context) {
    const t = context.createTranslator(tokenMessages);
    return {
      file(source) {
        for (const token of findTokens(source.content)) {
          context.report({
            message: t('Token', { kind: token.kind }),
            range: [token.index, token.index + token.length],
          });
        }
      },
    };
  },
};
