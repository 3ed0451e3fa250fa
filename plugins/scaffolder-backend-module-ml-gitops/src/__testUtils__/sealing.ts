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
