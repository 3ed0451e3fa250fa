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

/**
 * Kubernetes label selector syntax (kubernetes.io/docs/concepts/overview/working-with-objects/labels):
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas.
 * Throws on syntax errors.
 */
export function parseLabelSelector(
  selector: string,
): (labels: Record<string, string>) => boolean {
  const requirements: Array<(l: Record<string, string>) => boolean> = [];
  // split on commas that are not inside parentheses
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (depth !== 0)
    throw new Error(`unable to parse requirement: found '(', expected: ')'`);
  parts.push(cur);
  const key = '([A-Za-z0-9][-A-Za-z0-9_./]*)';
  const value = '([-A-Za-z0-9_.]*)';
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) {
      if (selector.trim() === '') continue;
      throw new Error(`found '', expected: identifier`);
    }
    const equality = new RegExp(`^${key}\\s*(==|=|!=)\\s*${value}$`).exec(part);
    const set = new RegExp(`^${key}\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(
      part,
    );
    const absent = new RegExp(`^!${key}$`).exec(part);
    const present = new RegExp(`^${key}$`).exec(part);
    if (equality) {
      const [, k, op, v] = equality;
      requirements.push(op === '!=' ? l => l[k] !== v : l => l[k] === v);
    } else if (set) {
      const [, k, op, list] = set;
      const values = list.split(',').map(s => s.trim());
      requirements.push(
        op === 'in'
          ? l => k in l && values.includes(l[k])
          : l => !(k in l) || !values.includes(l[k]),
      );
    } else if (absent) {
      const k = absent[1];
      requirements.push(l => !(k in l));
    } else if (present) {
      const k = present[1];
      requirements.push(l => k in l);
    } else {
      throw new Error(`unable to parse requirement: ${part}`);
    }
  }
  return labels => requirements.every(r => r(labels ?? {}));
}
