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
 * The CODEOWNERS file, read the way its Git host reads it.
 *
 * GitHub (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners):
 * the first of .github/CODEOWNERS, CODEOWNERS and docs/CODEOWNERS; one rule
 * per line, "pattern owner…"; the last matching rule wins; a rule without
 * owners leaves its paths without owners; gitignore-like patterns, without
 * "!" negation and "[ ]" ranges (which GitHub does not support).
 *
 * GitLab (https://docs.gitlab.com/user/project/codeowners/reference): the
 * first of CODEOWNERS, docs/CODEOWNERS and .gitlab/CODEOWNERS; the same
 * patterns, grouped in sections: a line `[Section]` (`^[Section]` optional,
 * `[Section][N]` N approvals, `[Section] @owner…` default owners for its
 * entries without owners) starts one; sections of the same name (any case)
 * are one. In each section the last matching entry owns a path, and every
 * required section that matches needs its own code owner's approval.
 * Exclusions (`!pattern`) are not read, which can only ask for more
 * approvals, never fewer.
 */

export type CodeownersFlavor = 'github' | 'gitlab';

/** Where GitHub looks for CODEOWNERS, in its order. */
export const CODEOWNERS_PATHS = [
  '.github/CODEOWNERS',
  'CODEOWNERS',
  'docs/CODEOWNERS',
];

/** Where GitLab looks for CODEOWNERS, in its order. */
export const GITLAB_CODEOWNERS_PATHS = [
  'CODEOWNERS',
  'docs/CODEOWNERS',
  '.gitlab/CODEOWNERS',
];

export type CodeownersRule = {
  pattern: string;
  owners: string[];
  line: number;
  regex: RegExp;
  /** GitLab: the section's name as written first (the default section: undefined). */
  section?: string;
  /** GitLab: an optional section (`^[Section]`) needs no approval. */
  optional?: boolean;
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

/** `[Section]`, `^[Section]`, `[Section][2]`, each maybe with default owners. */
const SECTION = /^(\^)?\[([^\]]+)\](?:\[(\d+)\])?(?:\s+(.*))?$/;

/** The rules of a CODEOWNERS text, in file order. */
export function parseCodeowners(
  text: string,
  flavor: CodeownersFlavor = 'github',
): CodeownersRule[] {
  const rules: CodeownersRule[] = [];
  /** section name in lower case → how it was first written */
  const names = new Map<string, string>();
  let section: { name?: string; optional?: boolean; owners: string[] } = {
    owners: [],
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    // "#" starts a comment unless escaped ("\#" in a pattern)
    const line = raw.replace(/(^|[^\\])#.*$/, '$1').trim();
    if (line === '') return;
    const header = flavor === 'gitlab' ? SECTION.exec(line) : null;
    if (header) {
      const key = header[2].trim().toLowerCase();
      if (!names.has(key)) names.set(key, header[2].trim());
      section = {
        name: names.get(key),
        optional: header[1] === '^',
        owners: header[4]?.trim() ? header[4].trim().split(/\s+/) : [],
      };
      return;
    }
    const [pattern, ...owners] = line.split(/\s+/);
    const regex = patternRegex(pattern.replace(/\\#/g, '#'));
    if (regex) {
      rules.push({
        pattern,
        owners: owners.length ? owners : section.owners,
        line: index + 1,
        regex,
        ...(section.name === undefined
          ? {}
          : { section: section.name, optional: section.optional }),
      });
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

/**
 * Every entry whose code owners must approve a change of `path`: on GitLab
 * the last matching entry of each required section; on GitHub (no
 * sections) the last matching rule. Entries without owners are kept, so
 * the caller can say that the path has no code owner.
 */
export function ownerEntriesOf(
  rules: CodeownersRule[],
  path: string,
): { owners: string[]; rule: CodeownersRule }[] {
  const bySection = new Map<string, CodeownersRule>();
  for (const rule of rules) {
    if (rule.regex.test(path)) {
      bySection.set((rule.section ?? '').toLowerCase(), rule);
    }
  }
  return [...bySection.values()]
    .filter(rule => !rule.optional)
    .map(rule => ({ owners: rule.owners, rule }));
}
