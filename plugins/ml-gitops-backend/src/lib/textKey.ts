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

import { createHash } from 'node:crypto';

/**
 * What an item's text in a list is known by from one list to the next: its
 * SHA-256. Keeping the text itself kept the whole list's text alive (a text
 * cut out of a chunk of the answer holds that chunk), and a digest is found
 * in a map faster than a long string is compared.
 */
export const textKey = (text: string): string =>
  createHash('sha256').update(text).digest('base64');
