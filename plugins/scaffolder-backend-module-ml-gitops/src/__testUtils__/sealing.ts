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

import crypto from 'node:crypto';
import { SealedSecretsController } from 'sandbox';
import yaml from 'yaml';

/**
 * A throw-away Sealed Secrets controller (the sandbox's): an RSA key held in
 * memory, its self-signed certificate, and the controller's unsealing.
 */
export function makeSealingKeys(): {
  certificate: string;
  controller: SealedSecretsController;
} {
  const { privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
  });
  const controller = SealedSecretsController.fromPrivateKey(privateKey);
  return { certificate: controller.certificatePem, controller };
}

export const sha256 = (text: string) =>
  crypto.createHash('sha256').update(text).digest('hex');

export function parseSealedSecret(text: string): any {
  return yaml.parse(text);
}
