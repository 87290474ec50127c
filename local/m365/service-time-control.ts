// Control API of the service-time model: GET /_emulator/service-time reads the settings, PUT changes any of them
// (`{enabled, jsonGetMs, deltaPageMs, writeMs, batchMs, contentMBps}`; a bad field is a 400 naming it).
import { controlJson, registerControlRoutes } from './control/registry';
import { input } from './control/routes-core';
import { serviceTimeSchema, serviceTimeSettings } from './graph/service-time';

registerControlRoutes([
  {
    method: 'GET',
    path: '/service-time',
    handler: (ctx) => controlJson(200, ctx.emulator.serviceTime.settings),
  },
  {
    method: 'PUT',
    path: '/service-time',
    async handler(ctx) {
      const change = await input(ctx, serviceTimeSchema.partial());
      const st = ctx.emulator.serviceTime;
      st.settings = serviceTimeSettings(st.settings, change);
      return controlJson(200, st.settings);
    },
  },
]);
