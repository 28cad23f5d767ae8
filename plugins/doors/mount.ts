import type { PluginContext, PluginInstance } from '../../core/plugin.ts';
import type { RouteDef } from '../api/service.ts';
import type { callbackSink } from './callbacks.ts';
import type { Ledger } from './ledger.ts';

/**
 * A door's life: on start its ledger forgets what is past LEDGER_DAYS, its routes are mounted on the
 * API plugin's server and its callback sink (if any) starts; on stop the routes come off again and
 * the sink stops. Health reports what the sink called and gave up.
 *
 * @example
 * return mountDoor(ctx, ledger, kannelRoutes(deps), sink);
 */
export function mountDoor(ctx: PluginContext<unknown>, ledger: Ledger<unknown>, routes: RouteDef[], sink?: ReturnType<typeof callbackSink>): PluginInstance {
  const api = ctx.use('api');
  const removers: (() => void)[] = [];
  return {
    start() {
      ledger.prune(ctx.clock.now());
      for (const route of routes) removers.push(api.route(route));
      sink?.start();
    },
    async stop() {
      for (const remove of removers.splice(0)) remove();
      await sink?.stop();
    },
    health: () => ({ status: 'pass', ...(sink ? { callbacks: sink.health() } : {}) }),
  };
}
