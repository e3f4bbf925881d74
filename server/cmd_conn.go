package server

// Connection commands: https://redis.io/docs/latest/commands/?group=connection

import (
	"fmt"
	"strconv"
	"strings"
)

// connCommands registers this file's commands (called from table.go).
func connCommands() {
	register("connection",
		&command{name: "ping", arity: -1, flags: flagStateless | flagFast, run: pingCmd,
			syntax: "PING [message]", summary: "Answers PONG, or the message."},
		&command{name: "echo", arity: 2, flags: flagStateless | flagFast, run: echoCmd,
			syntax: "ECHO message", summary: "Answers the message."},
		&command{name: "select", arity: -2, flags: flagStateless | flagConn | flagNoMulti | flagFast, run: selectCmd,
			syntax: "SELECT db [KEY key]", summary: "Selects a database by id or name; KEY presents its credential.",
			differs: "db may be a name; KEY is herodb's (HeroDB's) credential; private databases need a key; DB 0 needs the admin secret and is read-only; refused inside MULTI."},
		&command{name: "auth", arity: -2, flags: flagStateless | flagConn | flagNoMulti | flagFast, run: authCmd,
			syntax: "AUTH [username] credential", summary: "Presents a credential for this connection.",
			differs: "user \"default\" means no database; the admin secret grants every database."},
		&command{name: "quit", arity: -1, flags: flagStateless | flagConn | flagFast | flagImmediate, run: quitCmd,
			syntax: "QUIT", summary: "Closes the connection after replying OK."},
		&command{name: "reset", arity: 1, flags: flagStateless | flagConn | flagNoMulti | flagFast | flagImmediate, run: resetCmd,
			syntax: "RESET", summary: "Resets the connection: no database, no credential, no transaction."},
		&command{name: "hello", arity: -1, flags: flagStateless | flagConn | flagNoMulti | flagFast, run: helloCmd,
			syntax: "HELLO [protover [AUTH username credential] [SETNAME name]]", summary: "Handshake; protocol 2 only.",
			differs: "HELLO 3 answers -NOPROTO, so clients fall back to RESP2."},
		&command{name: "client", arity: -2, flags: flagStateless | flagConn,
			syntax: "CLIENT subcommand", summary: "Connection introspection."},
		&command{name: "client|id", arity: 2, flags: flagStateless | flagFast, run: clientIDCmd,
			syntax: "CLIENT ID", summary: "The connection's id."},
		&command{name: "client|setname", arity: 3, flags: flagStateless | flagConn | flagFast, run: clientSetNameCmd,
			syntax: "CLIENT SETNAME name", summary: "Names the connection."},
		&command{name: "client|getname", arity: 2, flags: flagStateless | flagFast, run: clientGetNameCmd,
			syntax: "CLIENT GETNAME", summary: "The connection's name."},
		&command{name: "client|setinfo", arity: 4, flags: flagStateless | flagConn | flagFast, run: clientSetInfoCmd,
			syntax: "CLIENT SETINFO LIB-NAME|LIB-VER value", summary: "Records the client library's name or version."},
		&command{name: "client|info", arity: 2, flags: flagStateless | flagFast, run: clientInfoCmd,
			syntax: "CLIENT INFO", summary: "This connection, in CLIENT LIST's format."},
		&command{name: "client|list", arity: -2, run: clientListCmd,
			syntax: "CLIENT LIST [TYPE normal|pubsub|master|replica] [ID client-id ...]", summary: "The connections (never a credential).",
			differs: "The admin sees every connection; any other connection sees those on the database it has selected, and itself " +
				"(job queues such as RQ list their workers' connections). TYPE master and replica list none (no replication)."},
		&command{name: "client|kill", arity: -3, flags: flagAdmin, run: clientKillCmd,
			syntax: "CLIENT KILL ID id | CLIENT KILL ADDR ip:port", summary: "Closes a connection (admin only)."},
	)
}

// PING [message]
func pingCmd(c *call) error {
	switch len(c.args) {
	case 1:
		c.r.simple("PONG")
	case 2:
		c.r.bulk(c.args[1])
	default:
		c.r.err(errWrongArgs("ping"))
	}
	return nil
}

// ECHO message
func echoCmd(c *call) error { c.r.bulk(c.args[1]); return nil }

// QUIT
func quitCmd(c *call) error {
	c.r.ok()
	c.sess.quit = true
	return nil
}

// RESET
func resetCmd(c *call) error {
	c.s.unwatchAll(c.sess)
	c.sess.reset()
	c.r.simple("RESET")
	return nil
}

// SELECT db [KEY key]
func selectCmd(c *call) error {
	var key []byte
	switch {
	case len(c.args) == 2:
	case len(c.args) == 4 && strings.EqualFold(string(c.args[2]), "key"):
		key = c.args[3]
	default:
		c.r.err(errSyntax)
		return nil
	}
	msg := c.s.selectDB(c.sess, string(c.args[1]), key)
	if msg != "" {
		c.r.err(msg)
		return nil
	}
	c.r.ok()
	return nil
}

// AUTH [username] credential
func authCmd(c *call) error {
	var user, cred []byte
	switch len(c.args) {
	case 2:
		cred = c.args[1]
	case 3:
		user, cred = c.args[1], c.args[2]
	default:
		c.r.err(errSyntax)
		return nil
	}
	if msg := c.s.auth(c.sess, user, cred); msg != "" {
		c.r.err(msg)
		return nil
	}
	c.r.ok()
	return nil
}

// HELLO [protover [AUTH username credential] [SETNAME name]]
func helloCmd(c *call) error {
	args := c.args[1:]
	if len(args) > 0 {
		v, err := strconv.Atoi(string(args[0]))
		if err != nil {
			c.r.err(errProtoVersion)
			return nil
		}
		if v != 2 {
			c.r.err(errNoProto)
			return nil
		}
		args = args[1:]
	}
	var name []byte
	for len(args) > 0 {
		switch {
		case strings.EqualFold(string(args[0]), "auth") && len(args) >= 3:
			if msg := c.s.auth(c.sess, args[1], args[2]); msg != "" {
				c.r.err(msg)
				return nil
			}
			args = args[3:]
		case strings.EqualFold(string(args[0]), "setname") && len(args) >= 2:
			name, args = args[1], args[2:]
		default:
			c.r.err(errHelloOption(args[0]))
			return nil
		}
	}
	if name != nil {
		if msg := validClientName(name); msg != "" {
			c.r.err(msg)
			return nil
		}
		c.sess.mu.Lock()
		c.sess.name = string(name)
		c.sess.mu.Unlock()
	}
	c.r.array(14)
	c.r.bulkString("server")
	c.r.bulkString("redis")
	c.r.bulkString("version")
	c.r.bulkString(redisVersion)
	c.r.bulkString("proto")
	c.r.int(2)
	c.r.bulkString("id")
	c.r.int(c.sess.id)
	c.r.bulkString("mode")
	c.r.bulkString("standalone")
	c.r.bulkString("role")
	c.r.bulkString("master")
	c.r.bulkString("modules")
	c.r.array(0)
	return nil
}

// CLIENT ID
func clientIDCmd(c *call) error { c.r.int(c.sess.id); return nil }

func validClientName(name []byte) string {
	for _, b := range name {
		if b < '!' || b > '~' {
			return errClientName
		}
	}
	return ""
}

// CLIENT SETNAME name
func clientSetNameCmd(c *call) error {
	if msg := validClientName(c.args[2]); msg != "" {
		c.r.err(msg)
		return nil
	}
	c.sess.mu.Lock()
	c.sess.name = string(c.args[2])
	c.sess.mu.Unlock()
	c.r.ok()
	return nil
}

// CLIENT GETNAME
func clientGetNameCmd(c *call) error {
	c.sess.mu.Lock()
	name := c.sess.name
	c.sess.mu.Unlock()
	c.r.bulkOrNull([]byte(name), name != "")
	return nil
}

// CLIENT SETINFO LIB-NAME|LIB-VER value
func clientSetInfoCmd(c *call) error {
	v := string(c.args[3])
	if strings.ContainsAny(v, " \r\n") {
		c.r.err(errClientLibInfo)
		return nil
	}
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	switch strings.ToLower(string(c.args[2])) {
	case "lib-name":
		c.sess.libName = v
	case "lib-ver":
		c.sess.libVer = v
	default:
		c.r.err(errUnrecognizedOption(c.args[2]))
		return nil
	}
	c.r.ok()
	return nil
}

// clientLine is one connection in CLIENT LIST's format. It never holds a credential.
func (s *Server) clientLine(sess *session) string {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	now := s.cfg.Clock.Now()
	db := "-"
	if sess.listDB >= 0 {
		db = strconv.FormatInt(sess.listDB, 10)
	}
	return fmt.Sprintf("id=%d addr=%s laddr=%s name=%s age=%d idle=%d db=%s cmd=%s lib-name=%s lib-ver=%s\n",
		sess.id, sess.addr, s.Addr(), sess.name, int(now.Sub(sess.created).Seconds()),
		int(now.Sub(sess.lastAt).Seconds()), db, sess.lastCmd, sess.libName, sess.libVer)
}

// CLIENT INFO
func clientInfoCmd(c *call) error {
	c.r.bulkString(c.s.clientLine(c.sess))
	return nil
}

// CLIENT LIST [TYPE normal|pubsub|master|replica] [ID client-id ...]
//
// A tenant sees the connections on its own database: the same ones it could reach with
// CLIENT UNBLOCK, and nothing of any other tenant.
func clientListCmd(c *call) error {
	var ids map[int64]bool
	typ := ""
	for i := 2; i < len(c.args); i++ {
		switch opt := strings.ToLower(string(c.args[i])); {
		case opt == "type" && i+1 < len(c.args):
			i++
			typ = strings.ToLower(string(c.args[i]))
			if typ != "normal" && typ != "pubsub" && typ != "master" && typ != "replica" && typ != "slave" {
				c.r.err(errUnknownClientType(c.args[i]))
				return nil
			}
		case opt == "id" && i+1 < len(c.args):
			ids = map[int64]bool{}
			for i++; i < len(c.args); i++ {
				id, err := parseInt(c.args[i])
				if err != nil || id <= 0 {
					c.r.err(errInvalidClientID)
					return nil
				}
				ids[id] = true
			}
		default:
			c.r.err(errSyntax)
			return nil
		}
	}
	admin := c.sess.isAdmin()
	var b strings.Builder
	for _, sess := range c.s.sessionList() {
		switch {
		case ids != nil && !ids[sess.id]:
		case typ == "master" || typ == "replica" || typ == "slave":
		case typ != "" && (typ == "pubsub") != sess.subscribed():
		case admin || sess == c.sess || c.sess.selected && c.sess.db != 0 && sess.listedDB() == int64(c.sess.db):
			b.WriteString(c.s.clientLine(sess))
		}
	}
	c.r.bulkString(b.String())
	return nil
}

// listedDB is the database CLIENT LIST shows for sess (-1: none).
func (s *session) listedDB() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listDB
}

// CLIENT KILL ID id | CLIENT KILL ADDR ip:port
func clientKillCmd(c *call) error {
	if len(c.args) != 4 {
		c.r.err(errSyntax)
		return nil
	}
	filter, val := strings.ToLower(string(c.args[2])), string(c.args[3])
	if filter != "id" && filter != "addr" {
		c.r.err(errSyntax)
		return nil
	}
	n := 0
	for _, sess := range c.s.sessionList() {
		if (filter == "id" && strconv.FormatInt(sess.id, 10) == val) || (filter == "addr" && sess.addr == val) {
			sess.conn.NetConn().Close()
			n++
		}
	}
	c.r.int(int64(n))
	return nil
}
