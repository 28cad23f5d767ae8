import { ConfigError } from '../../core/config.ts';
import { registerSecret } from '../../core/redact.ts';

/**
 * Reads a secret named by a `...Env` option and registers it with the logger's redaction, so the
 * password or token never shows in a log line (Telegram's token is part of every request's path).
 * A variable that is not set is a config error naming the option.
 *
 * @example
 * const password = secretFromEnv(process.env, 'SMTP_PASSWORD', 'channels.mail.email.passwordEnv');
 */
export function secretFromEnv(env: NodeJS.ProcessEnv, variable: string, key: string): string {
  const value = env[variable];
  if (value === undefined || value === '') throw new ConfigError(key, `the environment variable ${variable} is not set`);
  registerSecret(value);
  return value;
}
