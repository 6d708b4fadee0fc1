import { readFileSync } from 'node:fs';

/** The parts of a V8 .cpuprofile the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  msPerJob: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  jobs: number;
  byPackage: ProfileLine[];
  byFunction: ProfileLine[];
}

/** Where a frame's code lives: an npm package, a folder of the service, a Node built-in, or V8. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const [first, second] = url.slice(modules + 'node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const service = /\/bench\/\.build\/src\/([^/]+)/.exec(url);
  if (service) return `service src/${service[1].replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return url.split('/')[0];
  return url;
}

/** Self time by package and by function, over the whole profile, in ms and ms per job. */
export function summariseProfile(path: string, jobs: number, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[index] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    totalUs += us;
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const file = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/bench\/\.build\//, '');
    const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  });
  const lines = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, msPerJob: jobs ? us / 1000 / jobs : Number.NaN, share: us / totalUs }));
  return { totalMs: totalUs / 1000, jobs, byPackage: lines(packages), byFunction: lines(functions) };
}
