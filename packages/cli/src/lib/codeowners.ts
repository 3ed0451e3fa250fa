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
 * GitHub's CODEOWNERS file, read the way GitHub reads it
 * (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners):
 * the first of .github/CODEOWNERS, CODEOWNERS and docs/CODEOWNERS; one rule
 * per line, "pattern owner…"; the last matching rule wins; a rule without
 * owners leaves its paths without owners; gitignore-like patterns, without
 * "!" negation and "[ ]" ranges (which GitHub does not support).
 */

/** Where GitHub looks for CODEOWNERS, in its order. */
export const CODEOWNERS_PATHS = [
  '.github/CODEOWNERS',
  'CODEOWNERS',
  'docs/CODEOWNERS',
];

export type CodeownersRule = {
  pattern: string;
  owners: string[];
  line: number;
  regex: RegExp;
};

function escapeRegex(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** Stands for a "**" segment while the pattern is translated (never in a path). */
const GLOBSTAR = '<globstar>';

/** The regular expression of one CODEOWNERS pattern over repository paths. */
export function patternRegex(pattern: string): RegExp | undefined {
  if (pattern.startsWith('!') || pattern === '') return undefined;
  const dirOnly = pattern.endsWith('/');
  let body = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  const anchored = pattern.startsWith('/') || body.includes('/');
  if (body === '') return undefined;
  const segments = body.split('/');
  const lastHasWildcard = /[*?]/.test(segments[segments.length - 1]);
  body = segments
    .map(segment => {
      if (segment === '**') return GLOBSTAR;
      return segment
        .split(/(\*+|\?)/)
        .map(part => {
          if (part.startsWith('*')) return '[^/]*';
          if (part === '?') return '[^/]';
          return escapeRegex(part);
        })
        .join('');
    })
    .join('/')
    // "**/" any directories, "/**" everything below, a lone "**" anything
    .split(`${GLOBSTAR}/`)
    .join('(?:.*/)?')
    .replace(new RegExp(`/${GLOBSTAR}$`), '/.*')
    .split(GLOBSTAR)
    .join('.*');
  const prefix = anchored ? '^' : '^(?:.*/)?';
  let suffix: string;
  if (dirOnly) {
    suffix = '/.*$';
  } else if (lastHasWildcard) {
    // "docs/*" owns the files in docs/, not those in its subdirectories
    suffix = '$';
  } else {
    suffix = '(?:/.*)?$';
  }
  return new RegExp(`${prefix}${body}${suffix}`);
}

/** The rules of a CODEOWNERS text, in file order. */
export function parseCodeowners(text: string): CodeownersRule[] {
  const rules: CodeownersRule[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    // "#" starts a comment unless escaped ("\#" in a pattern)
    const line = raw.replace(/(^|[^\\])#.*$/, '$1').trim();
    if (line === '') return;
    const [pattern, ...owners] = line.split(/\s+/);
    const regex = patternRegex(pattern.replace(/\\#/g, '#'));
    if (regex) {
      rules.push({ pattern, owners, line: index + 1, regex });
    }
  });
  return rules;
}

/** The owners of a path: the last matching rule's (empty: no owners). */
export function ownersOf(
  rules: CodeownersRule[],
  path: string,
): { owners: string[]; rule?: CodeownersRule } {
  for (let i = rules.length - 1; i >= 0; i--) {
    if (rules[i].regex.test(path)) {
      return { owners: rules[i].owners, rule: rules[i] };
    }
  }
  return { owners: [] };
}
