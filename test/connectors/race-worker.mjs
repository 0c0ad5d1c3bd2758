// Child process / worker thread for the cross-process putIfAbsent race: creates round-N keys as
// fast as it can and reports which rounds it won. Loaded from dist through the package name.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openObjectStore } from 'lakehouse-engine/connectors';

const args = isMainThread ? JSON.parse(process.argv[2]) : workerData;
const store = await openObjectStore(args.uri);
const enc = new TextEncoder();
const won = [];
for (let round = 0; round < args.rounds; round++) {
  if (await store.putIfAbsent(`race/${round}`, enc.encode(`${args.id}:${round}`))) won.push(round);
}
const out = JSON.stringify({ id: args.id, won });
if (isMainThread) process.stdout.write(out);
else parentPort.postMessage(out);
