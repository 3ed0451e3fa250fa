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

import { randomBytes } from 'node:crypto';
import { sealedValue } from '../../__testUtils__/secretFixtures';
import { decodeFileText } from './scan';
import { findTokens, jwtHeaderHasAlg, tokenKindOf } from './tokens';
import { isSecretEnvName, notCiphertext } from './workloadRules';

describe('isSecretEnvName', () => {
  it.each([
    'DB_PASSWORD',
    'HF_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'OPENAI_API_KEY',
    'clientSecret',
    'SIGNING_KEY',
    'GOOGLE_APPLICATION_CREDENTIALS',
  ])('%s names a secret', name => {
    expect(isSecretEnvName(name)).toBe(true);
  });

  it.each([
    'HF_TOKEN_PATH',
    'AWS_ACCESS_KEY_ID',
    'MAX_NEW_TOKENS',
    'TOKENIZERS_PARALLELISM',
    'DB_PASSWORD_FILE',
    'SECRET_NAME',
    'KEYCLOAK_URL',
    'MONKEY',
  ])('%s does not', name => {
    expect(isSecretEnvName(name)).toBe(false);
  });
});

describe('notCiphertext', () => {
  it('accepts what kubeseal writes', () => {
    expect(notCiphertext(sealedValue())).toBeUndefined();
    expect(notCiphertext(`AgB${randomBytes(530).toString('base64')}`)).toBe(
      undefined,
    );
  });

  it('says why anything else is not ciphertext', () => {
    expect(notCiphertext('')).toBe('it is empty');
    expect(notCiphertext('hunter2 hunter2!')).toMatch(/not base64/);
    expect(notCiphertext('aHVudGVyMg==')).toMatch(/is 12 characters long/);
    expect(
      notCiphertext(
        Buffer.from('password = x\n'.repeat(30)).toString('base64'),
      ),
    ).toMatch(/decodes to readable text/);
    expect(notCiphertext('A'.repeat(400))).toBe(
      'it is too regular to be ciphertext',
    );
    // a base64 DER key (SEQUENCE, 0x30 0x82 …) is not ciphertext
    expect(
      notCiphertext(
        Buffer.concat([
          Buffer.from([0x30, 0x82, 0x04, 0xa4]),
          randomBytes(300),
        ]).toString('base64'),
      ),
    ).toMatch(/does not start with the length of an encrypted session key/);
  });
});

describe('token formats', () => {
  const b64url = (text: string) => Buffer.from(text).toString('base64url');

  it('needs a JWT header that is JSON with alg', () => {
    expect(jwtHeaderHasAlg(b64url('{"alg":"RS256"}'))).toBe(true);
    expect(jwtHeaderHasAlg(b64url('{"typ":"JWT"}'))).toBe(false);
    expect(jwtHeaderHasAlg(b64url('["alg"]'))).toBe(false);
    expect(jwtHeaderHasAlg('eyJub3QganNvbg')).toBe(false);
    const notJwt = `${b64url('{"typ":"x"}')}.${b64url('{}')}.${'a'.repeat(20)}`;
    expect(findTokens(notJwt)).toEqual([]);
  });

  it('finds tokens inside base64, but not in random base64', () => {
    const token = ['dapi', 'a'.repeat(32)].join('');
    expect(tokenKindOf(Buffer.from(`x=${token}`).toString('base64'))).toBe(
      'Databricks personal access token (base64-encoded)',
    );
    expect(findTokens(randomBytes(600).toString('base64'))).toEqual([]);
  });

  it('does not take words for tokens', () => {
    expect(
      findTokens(
        'glpat- tokens start with glpat-; hf_ and dapi are prefixes too',
      ),
    ).toEqual([]);
  });
});

describe('decodeFileText', () => {
  const text = 'TOKEN=x\n';
  it('reads UTF-8 (with or without BOM) and UTF-16 (BOM or not)', () => {
    expect(decodeFileText(Buffer.from(text))).toBe(text);
    expect(decodeFileText(Buffer.from(`\ufeff${text}`))).toBe(text);
    expect(
      decodeFileText(
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          Buffer.from(text, 'utf16le'),
        ]),
      ),
    ).toBe(text);
    const be = Buffer.from(text, 'utf16le').swap16();
    expect(decodeFileText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toBe(
      text,
    );
    expect(decodeFileText(Buffer.from(text, 'utf16le'))).toBe(text);
    expect(decodeFileText(be)).toBe(text);
  });

  it('leaves binary alone', () => {
    expect(decodeFileText(new Uint8Array([0x30, 0x82, 0, 0, 1, 2]))).toBe(
      undefined,
    );
  });
});
