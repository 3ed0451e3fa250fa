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
 * What a change pull request to a config repo is called and what it says
 * about itself: its branch, its label, and a machine-readable record in its
 * body. The scaffolder actions write these; the history reader reads them
 * back, so both sides share one definition.
 */

/**
 * The kinds of change the actions propose.
 *
 * @public
 */
export type ChangeKind =
  | 'deploy'
  | 'promote'
  | 'rollback'
  | 'freeze'
  | 'unfreeze'
  | 'seal';

const KINDS: ReadonlySet<string> = new Set<ChangeKind>([
  'deploy',
  'promote',
  'rollback',
  'freeze',
  'unfreeze',
  'seal',
]);

/**
 * The label each kind of change pull request carries.
 *
 * @public
 */
export const CHANGE_LABELS: Readonly<Record<ChangeKind, string>> = {
  deploy: 'ml-gitops/deploy',
  promote: 'ml-gitops/promotion',
  rollback: 'ml-gitops/rollback',
  freeze: 'ml-gitops/freeze',
  unfreeze: 'ml-gitops/freeze',
  seal: 'ml-gitops/secret',
};

/**
 * Every action branch starts with this.
 *
 * @public
 */
export const CHANGE_BRANCH_PREFIX = 'ml-gitops/';

/**
 * Where a change lives: `ml-gitops/[<model>/]<kind>/<environment>[/<detail>]`.
 * The detail is the version a deploy, promotion or rollback sets, or the
 * secret a seal writes; freeze and unfreeze have none. The model segment is
 * there only when the repo's manifest is not at the default path, so that
 * several models of one repo never share a branch.
 *
 * @public
 */
export type ChangeBranch = {
  kind: ChangeKind;
  environment: string;
  model?: string;
  detail?: string;
};

/**
 * The branch of a change: a function of the model, environment, kind and
 * version, never of the task, so re-running the same change finds the same
 * branch and its open pull request.
 *
 * @public
 */
export function changeBranchName(change: ChangeBranch): string {
  return [
    'ml-gitops',
    ...(change.model ? [change.model] : []),
    change.kind,
    change.environment,
    ...(change.detail ? [change.detail] : []),
  ].join('/');
}

/**
 * Reads a branch name written by {@link changeBranchName} back, given the
 * environments (which tell the kind segment from a model segment).
 *
 * @public
 */
export function parseChangeBranch(
  ref: string,
  environments: readonly string[],
): ChangeBranch | undefined {
  if (!ref.startsWith(CHANGE_BRANCH_PREFIX)) return undefined;
  const parts = ref.slice(CHANGE_BRANCH_PREFIX.length).split('/');
  for (const withModel of [false, true]) {
    const at = withModel ? 1 : 0;
    const kind = parts[at];
    const environment = parts[at + 1];
    const rest = parts.slice(at + 2);
    if (
      kind &&
      KINDS.has(kind) &&
      environment &&
      environments.includes(environment) &&
      rest.length <= 1
    ) {
      return {
        kind: kind as ChangeKind,
        environment,
        ...(withModel ? { model: parts[0] } : {}),
        ...(rest[0] ? { detail: rest[0] } : {}),
      };
    }
  }
  return undefined;
}

/**
 * What a change pull request records about itself in its body, in a block
 * that survives edits to the prose around it.
 *
 * @public
 */
export type ChangeRecord = {
  kind: ChangeKind;
  environment: string;
  /** The version before the change. */
  from?: string;
  /** The version the change sets. */
  to?: string;
  /** Why: required for rollbacks and freezes. */
  reason?: string;
  /** Promotions: the environment promoted from and its head commit. */
  sourceEnvironment?: string;
  sourceCommit?: string;
  /** The Backstage user the change was made for. */
  requestedBy?: string;
  /** Rollbacks: the version was marked rejected in the registry. */
  rejected?: boolean;
};

const RECORD_ALL = /<!-- ml-gitops:([a-z]+) (\{[^]*?\}) -->/g;

const REVERT = /^Revert "|This reverts commit [0-9a-f]{7,40}/m;
const TRAILER = /^ML-GitOps-Change: ([a-z]+)\s*$/m;
const MERGED = /^Merge (?:pull request #\d+ from \S+?\/|branch ')([^\s']+)/;

/**
 * The trailer the actions write into their commits, so the commit alone
 * (e.g. squash-merged) still says what it is.
 *
 * @public
 */
export function changeTrailer(kind: ChangeKind): string {
  return `ML-GitOps-Change: ${kind}`;
}

/** Whether a commit message is `git revert`'s. @public */
export function isRevertMessage(message: string): boolean {
  return REVERT.test(message);
}

/**
 * What a commit message alone says of the change it made, as the actions
 * and people write them: a rollback (a revert, the rollback trailer, a merge
 * of a rollback branch) or a promotion (the promotion trailer, a merge of a
 * promotion branch or of another environment's branch); undefined when it
 * says neither.
 *
 * @public
 */
export function changeKindOfMessage(
  message: string,
  environments: readonly string[],
  environment?: string,
): 'rollback' | 'promote' | undefined {
  if (REVERT.test(message)) return 'rollback';
  const trailer = TRAILER.exec(message)?.[1];
  if (trailer === 'rollback' || trailer === 'promote') return trailer;
  if (trailer) return undefined;
  const merged = MERGED.exec(message)?.[1];
  if (!merged) return undefined;
  const kind = parseChangeBranch(merged, environments)?.kind;
  if (kind === 'rollback' || kind === 'promote') return kind;
  return merged !== environment && environments.includes(merged)
    ? 'promote'
    : undefined;
}

/**
 * The record as an HTML comment GitHub does not render:
 * `<!-- ml-gitops:<kind> {json} -->`. `<`, `>` and `-` inside the JSON are
 * escaped, so no text can end the comment early.
 *
 * @public
 */
export function changeRecordBlock(record: ChangeRecord): string {
  const { kind, ...rest } = record;
  const json = JSON.stringify(rest).replace(
    /[<>-]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `<!-- ml-gitops:${kind} ${json} -->`;
}

/**
 * The record of a pull request body, or undefined when it has none or it
 * does not parse (a body is free text anyone with write access can edit).
 *
 * @public
 */
export function parseChangeRecord(
  body: string | null | undefined,
): ChangeRecord | undefined {
  // The action writes the record last; text above it is not the record.
  const match = body ? [...body.matchAll(RECORD_ALL)].pop() : undefined;
  if (!match || !KINDS.has(match[1])) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(match[2]);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return undefined;
  }
  const value = parsed as Record<string, unknown>;
  const text = (key: string, max = 2000) =>
    typeof value[key] === 'string' && (value[key] as string).length <= max
      ? (value[key] as string)
      : undefined;
  const environment = text('environment', 200);
  if (!environment) return undefined;
  const record: ChangeRecord = {
    kind: match[1] as ChangeKind,
    environment,
  };
  for (const key of [
    'from',
    'to',
    'reason',
    'sourceEnvironment',
    'sourceCommit',
    'requestedBy',
  ] as const) {
    const v = text(key);
    if (v !== undefined) record[key] = v;
  }
  if (typeof value.rejected === 'boolean') record.rejected = value.rejected;
  return record;
}

/**
 * Mentions (`@user`, `@org/team`) and references (`#12`, `org/repo#12`,
 * `GH-12`) as GitHub links them in pull request text
 * (docs.github.com, "Autolinked references and URLs"; "Basic writing and
 * formatting syntax", mentioning people and teams).
 */
const GITHUB_REFERENCE =
  /(?<![\w`])(?:@[A-Za-z0-9](?:[A-Za-z0-9-]*)(?:\/[A-Za-z0-9._-]+)?|(?:[A-Za-z0-9][\w.-]*\/[\w.-]+)?#\d+|GH-\d+)/g;

/**
 * The characters that start an inline construct of GitHub Flavored
 * Markdown in the middle of a line: emphasis, code, links and images (which
 * need `[`), autolinks and raw HTML (`<`), entities (`&`, which could spell
 * an `@`), strikethrough, table cells; and `#`. CommonMark lets a backslash
 * turn each into a literal. Parentheses, `!` and `>` do nothing on their
 * own mid-line, so they stay as typed.
 */
const MARKDOWN_PUNCTUATION = /[\\`*_[\]<&~|#]/g;

/** `<` as an entity (so the raw text holds no `<!--` either), the rest with a backslash. */
const escapeMarkdown = (text: string) =>
  text.replace(MARKDOWN_PUNCTUATION, c => (c === '<' ? '&lt;' : `\\${c}`));

/**
 * Text from outside (a reason someone typed, a registry's stage or metric
 * name, an operator's message) made safe to put inside a line of a pull
 * request's Markdown: on one line, with every Markdown construct escaped
 * so it renders as typed (no link, image, HTML, table break, or fake
 * `<!-- ml-gitops:… -->` record), and with mentions and issue references
 * put in code, where GitHub neither notifies anyone nor links anything.
 *
 * @public
 */
export function markdownText(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  let out = '';
  let last = 0;
  for (const match of flat.matchAll(GITHUB_REFERENCE)) {
    out += escapeMarkdown(flat.slice(last, match.index));
    out += `\`${match[0]}\``;
    last = match.index! + match[0].length;
  }
  return out + escapeMarkdown(flat.slice(last));
}
