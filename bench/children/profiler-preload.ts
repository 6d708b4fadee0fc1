/**
 * Preloaded (`node -r`) into the service when the bench profiles it: the parent starts and stops
 * V8's sampling profiler over IPC, so the profile covers only the measured window, as
 * `node --cpu-prof` would over the whole life of the process.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();

process.on('message', (message: { command?: string; path?: string }) => {
  if (message.command === 'profile-start') {
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
        session.post('Profiler.start', () => process.send?.({ event: 'profile-started' }))));
  }
  if (message.command === 'profile-stop' && message.path) {
    const path = message.path;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(path, JSON.stringify(result.profile));
      process.send?.({ event: 'profile-written', error: error?.message });
    });
  }
});
