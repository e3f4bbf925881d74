// node-redis (the "redis" package) against herodb: an access key in a redis:// URL, a
// named token as password and database, a JWT signed with jose. clients_test.go runs it
// against a herodbtest server and checks what it prints.
const { createClient } = require("redis");
const { SignJWT, importPKCS8 } = require("jose");

async function main() {
  const { REDIS_URL, HERODB_ADDR, HERODB_DB, HERODB_TOKEN, HERODB_JWT_PRIVATE_KEY } = process.env;
  const [host, port] = HERODB_ADDR.split(":");
  const noRetry = { reconnectStrategy: false };

  const byKey = createClient({ url: REDIS_URL, socket: noRetry });
  await byKey.connect();
  await byKey.set("greeting", "hello");
  console.log("access key:", await byKey.get("greeting"));
  await byKey.quit();

  const byToken = createClient({
    socket: { host, port: Number(port), ...noRetry },
    password: HERODB_TOKEN,
    database: Number(HERODB_DB),
  });
  await byToken.connect();
  console.log("token:", await byToken.get("greeting"));
  await byToken.quit();

  const key = await importPKCS8(HERODB_JWT_PRIVATE_KEY, "EdDSA");
  const jwt = await new SignJWT({ p: { ro: { ns: ["app"] } } })
    .setProtectedHeader({ alg: "EdDSA" })
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(key);
  const byJWT = createClient({ url: `redis://:${jwt}@${HERODB_ADDR}/${HERODB_DB}`, socket: noRetry });
  await byJWT.connect();
  console.log("jwt:", await byJWT.get("greeting"));
  await byJWT.set("greeting", "bye").catch((e) => console.log("jwt write:", e.message.split(" ")[0]));
  await byJWT.quit();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
