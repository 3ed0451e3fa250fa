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

// ProblemCollector: gathers manifest problems positioned by offset or line and column in one text.

import type { LineCounter } from 'yaml';
import { ManifestProblem, ManifestProblemCode } from './problems';

/** Creates problems positioned in one text. */
export class ProblemCollector {
  readonly problems: ManifestProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly lineCounter?: LineCounter,
  ) {}

  /** Records a problem at a character offset of the text. */
  add(
    code: ManifestProblemCode,
    offset: number,
    message: string,
    fix: string,
    field?: string,
  ): void {
    const pos = this.lineCounter?.linePos(offset) ?? { line: 1, col: 1 };
    this.problems.push({
      code,
      file: this.file,
      line: pos.line,
      column: pos.col,
      ...(field !== undefined ? { field } : {}),
      message,
      fix,
    });
  }

  /** Records a problem at a known line and column. */
  addAt(
    code: ManifestProblemCode,
    line: number,
    column: number,
    message: string,
    fix: string,
  ): void {
    this.problems.push({ code, file: this.file, line, column, message, fix });
  }

  /** The problems, in order of position, without duplicates. */
  sorted(): ManifestProblem[] {
    const seen = new Set<string>();
    return [...this.problems]
      .sort((a, b) => a.line - b.line || a.column - b.column)
      .filter(p => {
        const key = `${p.line}:${p.column}:${p.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  }
}
