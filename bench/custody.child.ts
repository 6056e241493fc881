/**
 * One generator of the custody benchmark's data in a process of its own (forked by
 * custody.bench.ts, one per core): it receives a range of cases, generates their items and
 * hash-chained events and COPYs them into the bench database.
 */
import { generatePartition, type BenchWorld } from './custody.generate.js';

interface Job {
  url: string;
  world: BenchWorld;
  from: number;
  to: number;
  caseCount: number;
  checkpointed: boolean;
}

process.once('message', (job: Job) => {
  generatePartition(job.url, job.world, job.from, job.to, { caseCount: job.caseCount, checkpointed: job.checkpointed, progress: (events) => process.send!({ progress: events }) })
    .then((result) => process.send!({ result }, () => process.exit(0)))
    .catch((e: Error) => process.send!({ error: e.stack ?? e.message }, () => process.exit(1)));
});
process.send!({ ready: true });
