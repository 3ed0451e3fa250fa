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
 * The rules of GitHub's branch protection that need no Git: who has write
 * access, who is in a team, what a CODEOWNERS file says, which required
 * checks a protection has and why a push is refused. Written from
 * docs.github.com ("About protected branches", "About code owners",
 * "Troubleshooting required status checks", REST "Branch protection").
 */

import { TEAMS, USERS } from '../seed/data';
import type {
  BranchProtection,
  RepoRecord,
  RequiredCheck,
  StatusRecord,
} from './GitRepos';

/**
 * The members of a team (`org/team`, case-insensitive), with the members of
 * its child teams (docs.github.com, REST "List team members": "Team members
 * will include the members of child teams").
 */
export function teamMembers(slug: string): Set<string> {
  const key = slug.toLowerCase();
  const members = new Set<string>();
  for (const [name, team] of Object.entries(TEAMS)) {
    if (name.toLowerCase() === key) {
      for (const m of team.members) members.add(m);
    } else if (team.parent?.toLowerCase() === key) {
      for (const m of teamMembers(name)) members.add(m);
    }
  }
  return members;
}

/**
 * Whether `login` may write to the repository: seeded repos are open to
 * every seeded user; a repo made through the API to its collaborators and
 * the members of the teams given access.
 */
export function hasWriteAccess(repo: RepoRecord, login: string): boolean {
  if (!repo.collaborators) return Boolean(USERS[login]);
  if (repo.collaborators.has(login)) return true;
  return [...repo.collaborators].some(
    who => who.includes('/') && teamMembers(who).has(login),
  );
}

/**
 * The required checks of a protection: `checks` as given, or the legacy
 * `contexts` list, each satisfied by any source (docs.github.com, REST
 * "Update branch protection": `contexts` is "Deprecated … Use `checks`
 * instead of `contexts` for more fine-grained control").
 */
export function requiredChecks(
  p: BranchProtection | undefined,
): RequiredCheck[] {
  const rsc = p?.required_status_checks;
  if (!rsc) return [];
  return rsc.checks ?? rsc.contexts.map(context => ({ context, app_id: null }));
}

/**
 * Why one required check does not pass on a commit, in GitHub's words, or
 * null. docs.github.com, "About protected branches": "When you add a required
 * status check, you can select an app that has recently set this check as
 * the expected source of status updates. If the status is set by any other
 * person or integration, merging won't be allowed"; "Troubleshooting required
 * status checks" names the message: 'Required status check "build" was not
 * set by the expected GitHub App.' A check bound to an app reads only the
 * statuses that app created (the newest decides), so a later status from
 * someone else can neither pass nor fail it.
 */
export function checkFailure(
  check: RequiredCheck,
  statuses: StatusRecord[],
): string | null {
  const mine = statuses
    .filter(s => s.context === check.context)
    .sort((a, b) => b.id - a.id);
  const counted =
    check.app_id === null
      ? mine
      : mine.filter(s => (s.app_id ?? null) === check.app_id);
  const latest = counted[0];
  if (!latest) {
    return mine.length > 0
      ? `Required status check "${check.context}" was not set by the expected GitHub App.`
      : `Required status check "${check.context}" is expected.`;
  }
  if (latest.state === 'success') return null;
  return `Required status check "${check.context}" is ${
    latest.state === 'pending' ? 'expected' : 'failing'
  }.`;
}

/**
 * GitHub's answer when required checks count as not reported, e.g. on a head
 * that is behind its base under strict checks: one check by name, several
 * counted ("N of N required status checks are expected.", GitHub's GH006
 * and 405 wording).
 */
export function checksExpected(checks: RequiredCheck[]): string {
  return checks.length === 1
    ? `Required status check "${checks[0].context}" is expected.`
    : `${checks.length} of ${checks.length} required status checks are expected.`;
}

/** GH006's second line for a ref update, or null when the push may go. */
export function pushRefusal(
  p: BranchProtection | undefined,
  update: { deletes: boolean; fastForward: boolean },
): string | null {
  if (!p) return null;
  // docs.github.com, "About protected branches": "By default, you cannot
  // delete a protected branch" (Allow deletions) and "By default, GitHub
  // blocks force pushes on all protected branches" (Allow force pushes).
  if (update.deletes) {
    return p.allow_deletions ? null : 'Cannot delete this protected branch';
  }
  if (!update.fastForward && !p.allow_force_pushes) {
    return 'Cannot force-push to this protected branch';
  }
  // "If you enable required reviews, collaborators can only push changes to
  // a protected branch via a pull request"; "You won't be able to push local
  // changes to a protected branch until all required status checks pass"
  // (a commit pushed directly has no status yet).
  if (p.required_pull_request_reviews) {
    return 'Changes must be made through a pull request.';
  }
  const checks = requiredChecks(p);
  return checks.length > 0 ? checksExpected(checks) : null;
}

/**
 * One line per protected branch for the pre-receive hook, tab-separated:
 * branch, allow force pushes (0/1), allow deletions (0/1), and the refusal
 * of a fast-forward push ('-' when it may go).
 */
export function hookProtectionLines(repo: RepoRecord): string {
  return Object.entries(repo.protection)
    .map(([branch, p]) =>
      [
        branch,
        p.allow_force_pushes ? 1 : 0,
        p.allow_deletions ? 1 : 0,
        pushRefusal(p, { deletes: false, fastForward: true }) ?? '-',
      ].join('\t'),
    )
    .map(line => `${line}\n`)
    .join('');
}

/** An owner in a CODEOWNERS line: `@login`, `@org/team` or an e-mail. */
export type CodeOwnersRule = { pattern: string; owners: string[] };

/** The CODEOWNERS locations, in the order GitHub searches them. */
export const CODEOWNERS_PATHS = [
  '.github/CODEOWNERS',
  'CODEOWNERS',
  'docs/CODEOWNERS',
];

/**
 * Parses a CODEOWNERS file (docs.github.com, "About code owners", CODEOWNERS
 * syntax): a pattern, then owners; `#` starts a comment, also after the
 * owners; a pattern without owners leaves its paths unowned.
 */
export function parseCodeOwners(text: string): CodeOwnersRule[] {
  const rules: CodeOwnersRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const [pattern, ...owners] = line.split(/\s+/);
    rules.push({ pattern, owners });
  }
  return rules;
}

function patternRegex(pattern: string): { re: RegExp; dirOnly: boolean } {
  let p = pattern;
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.slice(0, -1);
  // gitignore: a slash at the start or in the middle anchors the pattern at
  // the root; otherwise it matches at any depth.
  const anchored = p.includes('/');
  p = p.replace(/^\//, '');
  let re = '';
  let i = 0;
  while (i < p.length) {
    if (p.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 3;
    } else if (p.startsWith('/**', i) && i + 3 === p.length) {
      re += '/.*';
      i += 3;
    } else if (p.startsWith('**', i)) {
      re += '.*';
      i += 2;
    } else if (p[i] === '*') {
      re += '[^/]*';
      i++;
    } else if (p[i] === '?') {
      re += '[^/]';
      i++;
    } else {
      re += p[i].replace(/[.+^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  return { re: new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}$`), dirOnly };
}

/**
 * Whether a CODEOWNERS pattern covers a file: the gitignore rules GitHub
 * documents ("About code owners": leading `/`, `*`, `**`, `dir/` for a
 * directory anywhere, `/dir/` at the root with its subdirectories), where a
 * pattern that names a directory covers the files inside it, except that
 * "The `docs/*` pattern will match files like `docs/getting-started.md` but
 * not further nested files". Paths are case-sensitive.
 */
export function patternMatches(pattern: string, file: string): boolean {
  const { re, dirOnly } = patternRegex(pattern);
  const parts = file.split('/');
  const dirs = parts
    .slice(0, -1)
    .map((_, i) => parts.slice(0, i + 1).join('/'));
  const candidates = pattern.endsWith('/*') ? [] : dirs;
  if (!dirOnly) candidates.push(file);
  return candidates.some(c => re.test(c));
}

/** The owners of a file: those of the last matching line ("Order is important; the last matching pattern takes the most precedence"). */
export function ownersOf(rules: CodeOwnersRule[], file: string): string[] {
  let owners: string[] = [];
  for (const rule of rules) {
    if (patternMatches(rule.pattern, file)) owners = rule.owners;
  }
  return owners;
}

/** Whether `login` is one of `owners` (a user, a member of a team, or a user's e-mail). */
export function isOwner(owners: string[], login: string): boolean {
  return owners.some(owner => {
    if (owner.startsWith('@')) {
      const name = owner.slice(1);
      return name.includes('/')
        ? teamMembers(name).has(login)
        : name.toLowerCase() === login.toLowerCase();
    }
    return USERS[login]?.email.toLowerCase() === owner.toLowerCase();
  });
}

/**
 * Owners as GitHub names them in "Waiting on code owner review from …":
 * logins and org/team slugs without `@`, the last joined by "and/or".
 */
export function ownerList(owners: string[]): string {
  const names = owners.map(o => o.replace(/^@/, ''));
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and/or ${names[names.length - 1]}`;
}
