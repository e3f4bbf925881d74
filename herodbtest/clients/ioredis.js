// ioredis against herodb, the three credentials a tenant's application may hold: an
// access key in a redis:// URL, a named token as password and db, and a JWT signed
// here with jose (EdDSA; jsonwebtoken cannot sign it). clients_test.go runs it against
// a herodbtest server and checks what it prints.
const Redis = require("ioredis");
const { SignJWT, importPKCS8 } = require("jose");

async function main() {
  const { REDIS_URL, HERODB_ADDR, HERODB_DB, HERODB_TOKEN, HERODB_JWT_PRIVATE_KEY } = process.env;
  const [host, port] = HERODB_ADDR.split(":");
  const opts = { maxRetriesPerRequest: 1, retryStrategy: () => null };

  // An access key, as an application reads REDIS_URL: redis://:<key>@host:port/<db>
  const byKey = new Redis(REDIS_URL, opts);
  await byKey.set("greeting", "hello");
  console.log("access key:", await byKey.get("greeting"));
  byKey.disconnect();

  // A named token (hdbt_…) where a password goes, and the database id as db.
  const byToken = new Redis({ host, port: Number(port), password: HERODB_TOKEN, db: Number(HERODB_DB), ...opts });
  console.log("token:", await byToken.get("greeting"));
  byToken.disconnect();

  // A read-only JWT naming the database "app", minted with the private key.
  const key = await importPKCS8(HERODB_JWT_PRIVATE_KEY, "EdDSA");
  const jwt = await new SignJWT({ p: { ro: { ns: ["app"] } } })
    .setProtectedHeader({ alg: "EdDSA" })
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(key);
  const byJWT = new Redis(`redis://:${jwt}@${HERODB_ADDR}/${HERODB_DB}`, opts);
  console.log("jwt:", await byJWT.get("greeting"));
  await byJWT.set("greeting", "bye").catch((e) => console.log("jwt write:", e.message.split(" ")[0]));
  byJWT.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
