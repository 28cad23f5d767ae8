import type { Channel, ChannelDeps } from './channel.ts';
import { emailChannel, type EmailOptions } from './email.ts';
import { httpChannel, type HttpOptions } from './http.ts';
import { matrixChannel, type MatrixOptions } from './matrix.ts';
import { ntfyChannel, type NtfyOptions } from './ntfy.ts';
import { telegramChannel, type TelegramOptions } from './telegram.ts';

/** One channel's config: exactly one of its kinds is set (validated by the plugin's schema). */
export interface ChannelKinds {
  email?: EmailOptions;
  telegram?: TelegramOptions;
  ntfy?: NtfyOptions;
  matrix?: MatrixOptions;
  http?: HttpOptions;
}

/** Builds the channel a config names. Reads its secrets from the environment (ConfigError when missing). */
export function createChannel(config: ChannelKinds, deps: ChannelDeps): Channel {
  if (config.email) return emailChannel(config.email, deps);
  if (config.telegram) return telegramChannel(config.telegram, deps);
  if (config.ntfy) return ntfyChannel(config.ntfy, deps);
  if (config.matrix) return matrixChannel(config.matrix, deps);
  if (config.http) return httpChannel(config.http, deps);
  throw new Error(`channel ${deps.name} has no kind`);
}
