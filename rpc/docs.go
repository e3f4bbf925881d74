package rpc

import (
	"fmt"
	"strings"
)

// Markdown renders docs/rpc.md from the method table and the error-code table, so the
// reference cannot drift from what the server serves (a test compares the two).
func Markdown() string {
	var b strings.Builder
	b.WriteString(`# JSON-RPC management API

Generated from the method table (` + "`rpc/methods.go`" + `) by ` + "`make docs`" + `; a test fails when
this file and the table disagree.

JSON-RPC 2.0, served two ways:

- **HTTP POST** to any path on ` + "`--rpc-bind`:`--rpc-port`" + ` (default 127.0.0.1:8080; on with
  ` + "`--enable-rpc`" + ` or ` + "`--dev`" + `). ` + "`Content-Type: application/json`" + `, single requests and
  batches. Every request needs ` + "`Authorization: Bearer <credential>`" + `: missing or wrong is HTTP
  401, valid but not allowed is HTTP 403, both with a JSON-RPC error object. Bodies over
  1 MiB get HTTP 413 unread. Parse errors are answered with -32700 and ` + "`\"id\": null`" + `.
  A request's id (a string, any number, or null) comes back byte for byte as sent; an id
  of another kind is refused with -32600. The members of an object param are named
  exactly as below, in lower case: a name in other letters is an unknown member (-32602).
- **Batch limits** (HTTP): a batch holds at most 100 calls; a larger one is answered with
  one -32600 error object (` + "`\"id\": null`" + `) saying so, and none of its calls runs. Calls run
  in order, and a batch's reply body is capped at 16 MiB: the first call whose reply would
  pass the cap has run, but its result is left out, and the calls after it are not run.
  Each of those requests is answered with error -32014 whose ` + "`data`" + ` is
  ` + "`{\"ran\": true|false, \"limit\": 16777216}`" + `, so a script knows exactly which calls took
  effect and sends the rest again in smaller batches (results shown only once, such as
  createToken's secret, are never computed and then thrown away). A single request outside
  a batch is not capped: one call cannot multiply its reply (listDatabases pages, and
  without params answers at most 10,000 databases). ` + "`rpc.discover`" + `'s document is built
  once and served from memory.
- **A Unix socket** (` + "`--rpc-socket PATH`" + `): created mode 0600 with no window in which it is
  wider (made in a private directory, then renamed into place); a stale socket is removed
  at start. Whoever can connect is the admin: the file permission is the authentication.
  Framing is one JSON value per message, each reply ending with a newline. Batches are not
  supported on the socket: a batch, like malformed JSON, closes the connection without a
  reply and none of its calls runs; use HTTP for both. A request is read as on HTTP (its
  id comes back as sent; one with no method is answered -32600). Replies are written one request at a time, so a client that stops reading stops
  its own requests.
- **Backups stream over HTTP**, outside JSON-RPC and its 1 MiB body limit, on the same
  listener and with the same ` + "`Authorization: Bearer`" + ` check (admin only: the admin secret
  or an admin-scoped token; 401 and 403 as above, with a JSON-RPC error object).
  ` + "`POST /backup?db=<id or name>&recipient=age1…`" + ` (or ` + "`all=true`" + ` for the node with DB 0)
  answers ` + "`application/octet-stream`" + `: the age file, streamed; an error found after the first
  byte cuts the stream, which then does not decrypt. ` + "`POST /restore?name=<new>`" + ` (and
  ` + "`db=<id>`" + ` for one database of a node backup) takes the backup's plaintext (the tar
  archive age decrypted) as its body and answers ` + "`{\"id\": …, \"name\": …, \"keys\": …}`" + `; a body
  that does not end cleanly restores nothing. The Unix socket has no such endpoint: its
  framing is JSON-RPC only. ` + "`herodb backup`" + ` and ` + "`herodb restore`" + ` use these.

Every method answers to ` + "`herodb_<name>`" + ` and ` + "`hero_<name>`" + `. Params are positional (HeroDB's
order) or named with the parameter names below; a trailing optional parameter may be left
out. A database is named by its id or its name. A method that changes state and has no
natural result returns ` + "`true`" + `.

## Who may call what

| method | needs |
| --- | --- |
`)
	for _, m := range Methods() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", m.Name, m.Right)
	}
	b.WriteString("\n## Errors\n\n| code | meaning | HTTP status |\n| --- | --- | --- |\n")
	for _, c := range codeTable {
		fmt.Fprintf(&b, "| %d | %s | %d |\n", c.Code, c.Meaning, c.HTTP)
	}
	b.WriteString("\nMessages say what to do, never echo a secret, and internal errors are logged on the\nserver while the caller sees only \"internal error\".\n\n## Methods\n")
	for _, m := range Methods() {
		name := "herodb_" + m.Name
		if m == discoverMethod {
			name = m.Name
		}
		fmt.Fprintf(&b, "\n### %s\n\n%s\n\n", name, m.Summary)
		if len(m.Params) > 0 {
			b.WriteString("| param | type | |\n| --- | --- | --- |\n")
			for _, p := range m.Params {
				opt := ""
				if p.Optional {
					opt = " (optional)"
				}
				fmt.Fprintf(&b, "| `%s`%s | %s | %s |\n", p.Name, opt, strings.ReplaceAll(p.Schema, "|", " or "), strings.ReplaceAll(p.Doc, "|", `\|`))
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Result: %s. Needs: %s.", m.Result, m.Right)
		if len(m.Errors) > 0 {
			var codes []string
			for _, c := range m.Errors {
				codes = append(codes, fmt.Sprint(c))
			}
			fmt.Fprintf(&b, " Errors: %s.", strings.Join(codes, ", "))
		}
		fmt.Fprintf(&b, "\n\n```sh\ncurl -s http://127.0.0.1:8080 -H \"Authorization: Bearer $HERODB_ADMIN_SECRET\" \\\n  -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}'\n```\n", name, m.Example)
	}
	return b.String()
}
