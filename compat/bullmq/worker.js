// The BullMQ worker process of the workload: `node worker.js <redis URL>`. SIGTERM
// closes the worker (the running job finishes) and exits 0.
const { Worker } = require("bullmq");
const IORedis = require("ioredis");

// BullMQ's workers need maxRetriesPerRequest: null (they block on the connection).
const connection = new IORedis(process.argv[2], { maxRetriesPerRequest: null });

const worker = new Worker(
  "compat",
  async (job) => {
    if (job.name === "fail") throw new Error("compat: this job fails on purpose");
    return job.data.a + job.data.b;
  },
  { connection },
);
// A command herodb refused shows up here first: the workload shows the last line.
worker.on("error", (err) => console.error(`worker error: ${err.message}`));
worker.on("ready", () => console.log("worker ready"));

process.on("SIGTERM", async () => {
  await worker.close();
  await connection.quit();
  process.exit(0);
});
