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
 * GitLab's Code Owners, as far as merge request approval needs them
 * (docs.gitlab.com/user/project/codeowners and its "Reference" page):
 * - the file is the first of `CODEOWNERS`, `docs/CODEOWNERS`,
 *   `.gitlab/CODEOWNERS` on the target branch (ee/lib/gitlab/code_owners.rb,
 *   FILE_PATHS, read in that order; the first found is used);
 * - patterns as in .gitignore: `/` anchors at the root, a trailing `/`
 *   means a directory and everything in it, `*` does not cross `/`, `**`
 *   does, a pattern without `/` matches at any depth;
 * - `[Section]` headers start sections (`^[Section]` optional, `[Section][N]`
 *   N approvals); in each section the last matching pattern owns a file;
 * - owners are `@username`, `@group` or `@group/subgroup` (its direct
 *   members) and e-mail addresses;
 * - with "Require approval from code owners" on a protected branch, each
 *   matched entry of a required section needs approvals from its owners
 *   (1, or the section's N).
 */

export type CodeOwnerEntry = {
  section: string;
  pattern: string;
  owners: string[];
  approvalsRequired: number;
  optional: boolean;
};

export const CODEOWNERS_PATHS = [
  'CODEOWNERS',
  'docs/CODEOWNERS',
  '.gitlab/CODEOWNERS',
];

type Rule = CodeOwnerEntry & { re: RegExp };

function patternRegExp(pattern: string): RegExp {
  let p = pattern;
  const anchored = p.startsWith('/') || p.replace(/\/$/, '').includes('/');
  p = p.replace(/^\//, '');
  const directory = p.endsWith('/');
  p = p.replace(/\/$/, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*' && p[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const prefix = anchored ? '^' : '^(?:.*/)?';
  // a name matches the file itself or, as a directory, everything in it
  const suffix = directory ? '/.*$' : '(?:/.*)?$';
  return new RegExp(`${prefix}${re}${suffix}`);
}

export function parseCodeOwners(text: string): Rule[] {
  const rules: Rule[] = [];
  let section = 'codeowners';
  let approvals = 1;
  let optional = false;
  let defaults: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const header = /^(\^)?\[([^\]]+)\](?:\[(\d+)\])?\s*(.*)$/.exec(line);
    if (header) {
      optional = Boolean(header[1]);
      section = header[2];
      approvals = header[3] ? Number(header[3]) : 1;
      defaults = header[4] ? header[4].split(/\s+/) : [];
      continue;
    }
    const [pattern, ...owners] = line.split(/\s+/);
    rules.push({
      section,
      pattern,
      owners: owners.length ? owners : defaults,
      approvalsRequired: approvals,
      optional,
      re: patternRegExp(pattern),
    });
  }
  return rules;
}

/** The entries that own `files`: per section, the last pattern matching each file. */
export function matchedEntries(
  text: string,
  files: string[],
): CodeOwnerEntry[] {
  const rules = parseCodeOwners(text);
  const sections = [...new Set(rules.map(r => r.section))];
  const found = new Map<Rule, true>();
  for (const file of files) {
    for (const section of sections) {
      const last = rules
        .filter(r => r.section === section && r.re.test(file))
        .pop();
      if (last && last.owners.length) found.set(last, true);
    }
  }
  return [...found.keys()].map(({ re: _re, ...entry }) => entry);
}
