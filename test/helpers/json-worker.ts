/** Runs a node worker script as a child process with one JSON argument; resolves its JSON stdout, rejects with its stderr. */
import { spawn } from 'node:child_process';

export function runJsonWorker<T>(script: string, args: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
}
