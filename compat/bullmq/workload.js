// BullMQ workload: jobs that return a value, one that fails after its attempts, one
// delayed, and a worker process stopped and started again between them.
//
// Usage: node workload.js <redis URL>. Exits non-zero with the first wrong thing it
// saw, as its last line.
const { spawn } = require("node:child_process");
const path = require("node:path");
const { Queue, Job } = require("bullmq");
const IORedis = require("ioredis");

const url = process.argv[2];
const workers = []; // { proc, out } of every worker process, in start order

class Failed extends Error {}

function check(cond, what) {
  if (!cond) throw new Failed(`check failed: ${what}`);
}

function startWorker() {
  // In the workload's process group: compat/run.sh ends the group when it exits.
  const proc = spawn(process.execPath, [path.join(__dirname, "worker.js"), url], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const w = { proc, out: "", exited: null };
  proc.stdout.on("data", (d) => (w.out += d));
  proc.stderr.on("data", (d) => (w.out += d));
  proc.on("exit", (code) => (w.exited = code ?? "a signal"));
  workers.push(w);
  return w;
}

const lastLine = (w) => w.out.trim().split("\n").pop() || "no output";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function stopWorker(w) {
  w.proc.kill("SIGTERM");
  for (let i = 0; i < 300 && w.exited === null; i++) await sleep(100);
  check(w.exited === 0, `worker exited with ${w.exited} after SIGTERM: ${lastLine(w)}`);
}

// waitFor waits until every job is completed or failed, while the worker keeps running.
async function waitFor(w, queue, ids, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (w.exited !== null) throw new Failed(`worker exited with ${w.exited}: ${lastLine(w)}`);
    const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
    if (states.every((s) => s === "completed" || s === "failed")) {
      return Promise.all(ids.map((id) => Job.fromId(queue, id)));
    }
    if (Date.now() > deadline) {
      throw new Failed(`timed out waiting for jobs: ${states.join(", ")}; the worker's last line: ${lastLine(w)}`);
    }
    await sleep(200);
  }
}

async function main(queue) {
  // Phase 1: one job returns a value, one fails twice (two attempts, a fixed backoff).
  const ok = await queue.add("add", { a: 2, b: 3 });
  const bad = await queue.add("fail", {}, { attempts: 2, backoff: { type: "fixed", delay: 200 } });
  let worker = startWorker();
  const [okJob, badJob] = await waitFor(worker, queue, [ok.id, bad.id]);
  check(okJob.returnvalue === 5, `add(2, 3) = ${JSON.stringify(okJob.returnvalue)}, want 5`);
  check((await badJob.getState()) === "failed", "fail is not failed");
  check(badJob.attemptsMade === 2, `fail made ${badJob.attemptsMade} attempts, want 2`);
  check(/fails on purpose/.test(badJob.failedReason), `fail's failedReason: ${badJob.failedReason}`);

  // Restart: added while no worker runs, a delayed job and a plain one must be run by
  // the next worker, the delayed one not before its time.
  await stopWorker(worker);
  const later = await queue.add("add", { a: 10, b: 20 }, { delay: 1500 });
  const queued = await queue.add("add", { a: 4, b: 5 });
  check((await queue.getJobState(later.id)) === "delayed", "the delayed job is not delayed");
  worker = startWorker();
  const [laterJob, queuedJob] = await waitFor(worker, queue, [later.id, queued.id]);
  check(queuedJob.returnvalue === 9, `add(4, 5) after the restart = ${JSON.stringify(queuedJob.returnvalue)}, want 9`);
  check(laterJob.returnvalue === 30, `delayed add(10, 20) = ${JSON.stringify(laterJob.returnvalue)}, want 30`);
  check(laterJob.processedOn >= later.timestamp + 1500, `the delayed job ran ${later.timestamp + 1500 - laterJob.processedOn} ms early`);
  await stopWorker(worker);
}

(async () => {
  let verdict = "bullmq: 4 jobs ran (one failed after 2 attempts, one delayed), worker restarted once";
  let code = 0;
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  const queue = new Queue("compat", { connection });
  try {
    await connection.flushdb();
    await main(queue);
  } catch (err) {
    verdict = err instanceof Failed ? err.message : `${err.name}: ${err.message}`; // the first error a client raised
    code = 1;
  }
  workers.forEach((w, n) => {
    try {
      if (w.exited === null) w.proc.kill("SIGKILL");
    } catch {} // already gone
    console.error(`--- worker ${n + 1} ---\n${w.out}`);
  });
  await queue.close().catch(() => {});
  connection.disconnect();
  console.log(verdict);
  process.exit(code);
})();
