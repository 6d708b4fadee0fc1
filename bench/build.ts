import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..');
export const BUILD_DIR = join(ROOT, 'bench', '.build');
const SOURCES = ['src', 'migrations', 'bench'];

/**
 * Transpiles the service and the bench's child programs to plain JavaScript (as `ts-node
 * --transpile-only` would, without type checking), so the measured processes run as
 * `node dist/src/main` does in production: no compiler or source-map hooks in the profile.
 */
export function buildForBench(): string {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const compilerOptions: ts.CompilerOptions = { ...options, sourceMap: false, incremental: false, declaration: false };
  for (const source of SOURCES) {
    for (const file of typeScriptFiles(join(ROOT, source))) {
      const output = join(BUILD_DIR, relative(ROOT, file)).replace(/\.ts$/, '.js');
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, outputText);
    }
  }
  return BUILD_DIR;
}

function typeScriptFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (name === '.build' || name === 'results') return [];
    if (statSync(path).isDirectory()) return typeScriptFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}
