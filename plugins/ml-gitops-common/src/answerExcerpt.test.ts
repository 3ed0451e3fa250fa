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

import { answerExcerpt } from './answerExcerpt';

describe('answerExcerpt', () => {
  it('puts a short body on one line', () => {
    expect(
      answerExcerpt('  <html>\n  <body>Bad gateway</body>\n</html>\n'),
    ).toBe('<html> <body>Bad gateway</body> </html>');
  });

  it('keeps the first 60 characters of a long body and marks the cut', () => {
    const excerpt = answerExcerpt(`${'a'.repeat(59)}b${'c'.repeat(100)}`);
    expect(excerpt).toBe(`${'a'.repeat(59)}b…`);
  });

  it('keeps a body of exactly 60 characters whole', () => {
    expect(answerExcerpt('x'.repeat(60))).toBe('x'.repeat(60));
  });
});
