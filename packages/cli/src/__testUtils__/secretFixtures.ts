import { generateKeyPairSync } from 'node:crypto';

/*
 * Credentials for the secret scanner's tests, assembled at run time so that
 * this repository itself never contains a string that looks like a secret.
 */

/** A real (throwaway) RSA private key in PEM. */
export function privateKeyPem(): string {
  return String(
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    }),
  );
}

/** A GitHub personal access token shape (ghp_ + 36 characters). */
export function githubToken(): string {
  return ['gh', 'p_', 'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'].join('');
}

/** A high-entropy random-looking value. */
export function randomSecret(): string {
  return ['Zq8', 'vT1x', 'Lm4P', 'e9Rk', 'W2bY', 'u7Hc'].join('');
}

/** base64 of a password, as in a Kubernetes Secret's data. */
export function base64Password(): string {
  return Buffer.from(['hun', 'ter2'].join('')).toString('base64');
}
