package server

import (
	"fmt"
	"sort"
	"strings"
)

// absentCommands are the commands of Redis 7.0 that herodb does not answer, with the
// reason; docs/commands.md lists those still missing from the table (a command added
// later drops out of the list by itself).
var absentCommands = map[string]string{
	"acl":                  "Credentials are access keys, named tokens and JWTs, each scoped to databases (docs/security.md); there are no ACL users.",
	"asking":               "No cluster mode: one node serves many databases.",
	"cluster":              "No cluster mode: one node serves many databases.",
	"readonly":             "No cluster mode.",
	"readwrite":            "No cluster mode.",
	"bzmpop":               "Not yet: the sorted-set blocking pops come after the list ones.",
	"bzpopmax":             "Not yet (see bzmpop).",
	"bzpopmin":             "Not yet (see bzmpop).",
	"swapdb":               "Would swap two tenants' data under their credentials: not planned.",
	"restore-asking":       "No cluster mode.",
	"migrate":              "No cluster mode: move a value with DUMP and RESTORE.",
	"debug":                "redis-server's internals.",
	"pfdebug":              "redis-server's internals.",
	"pfselftest":           "redis-server's internals.",
	"lolwut":               "redis-server's internals.",
	"fcall":                "Not yet: FUNCTION libraries come after EVAL and EVALSHA, which are here (docs/scripting.md).",
	"fcall_ro":             "Not yet (see fcall).",
	"function":             "Not yet (see fcall).",
	"failover":             "No replication.",
	"psync":                "No replication.",
	"replconf":             "No replication.",
	"replicaof":            "No replication.",
	"slaveof":              "No replication.",
	"role":                 "No replication.",
	"sync":                 "No replication.",
	"wait":                 "No replication: a write is durable in the log when it is answered (--sync always).",
	"geoadd":               "Not yet.",
	"geodist":              "Not yet.",
	"geohash":              "Not yet.",
	"geopos":               "Not yet.",
	"georadius":            "Not yet.",
	"georadius_ro":         "Not yet.",
	"georadiusbymember":    "Not yet.",
	"georadiusbymember_ro": "Not yet.",
	"geosearch":            "Not yet.",
	"geosearchstore":       "Not yet.",
	"latency":              "Not yet: metrics and the slow log are planned with operations.",
	"memory":               "Not yet (see latency).",
	"monitor":              "Would show one tenant every other tenant's commands: not planned as such.",
	"module":               "No modules.",
	"publish":              "Not yet: pub/sub scoped to the database.",
	"subscribe":            "Not yet (see publish).",
	"psubscribe":           "Not yet (see publish).",
	"unsubscribe":          "Not yet (see publish).",
	"punsubscribe":         "Not yet (see publish).",
	"pubsub":               "Not yet (see publish).",
	"spublish":             "Sharded pub/sub is cluster mode's.",
	"ssubscribe":           "Sharded pub/sub is cluster mode's.",
	"sunsubscribe":         "Sharded pub/sub is cluster mode's.",
	"shutdown":             "The operator stops the server (SIGTERM), not a client.",
}

// writeAbsent lists the Redis 7.0 commands the table does not have, with why.
func writeAbsent(b *strings.Builder) {
	var names []string
	for n := range absentCommands {
		if table[n] == nil {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	b.WriteString("\n## Redis 7.0 commands herodb does not have\n\n")
	b.WriteString("Each answers `-ERR unknown command`.\n\n")
	b.WriteString("| command | why |\n| --- | --- |\n")
	for _, n := range names {
		fmt.Fprintf(b, "| `%s` | %s |\n", strings.ToUpper(n), absentCommands[n])
	}
}
