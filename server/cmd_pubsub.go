package server

// Pub/Sub, scoped to the selected database (pubsub.go):
// https://redis.io/docs/latest/commands/?group=pubsub
//
// RESP2 subscriber mode as Redis 7.0 has it: once subscribed, a connection may only run
// (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING (answered [pong, message]), QUIT and RESET
// (dispatch.go checkArgs calls subscribedOnly).

// pubsubCommands registers this file's commands (called from table.go). It also wraps
// PING and RESET (registered before it, by connCommands) for subscriber mode: PING
// answers as Redis does there, RESET drops every subscription.
func pubsubCommands() {
	const scope = "Channels belong to the selected database: only its subscribers receive, whatever the channel or pattern."
	register("pubsub",
		&command{name: "subscribe", arity: -2, flags: flagRead | flagConn | flagNoMulti, run: subscribeCmd,
			syntax: "SUBSCRIBE channel [channel ...]", summary: "Subscribes to channels; enters subscriber mode.",
			differs: scope + " Needs read on the database; refused inside MULTI."},
		&command{name: "psubscribe", arity: -2, flags: flagRead | flagConn | flagNoMulti, v: vPattern, run: subscribeCmd,
			syntax: "PSUBSCRIBE pattern [pattern ...]", summary: "Subscribes to glob patterns; enters subscriber mode.",
			differs: scope + " Needs read on the database; refused inside MULTI."},
		&command{name: "unsubscribe", arity: -1, flags: flagConn | flagNoMulti, run: unsubscribeCmd,
			syntax: "UNSUBSCRIBE [channel ...]", summary: "Unsubscribes from the channels (all when none is given).",
			differs: "Refused inside MULTI. With no channel, the replies come in channel order."},
		&command{name: "punsubscribe", arity: -1, flags: flagConn | flagNoMulti, v: vPattern, run: unsubscribeCmd,
			syntax: "PUNSUBSCRIBE [pattern ...]", summary: "Unsubscribes from the patterns (all when none is given).",
			differs: "Refused inside MULTI. With no pattern, the replies come in pattern order."},
		&command{name: "publish", arity: 3, flags: flagWrite | flagFast, run: publishCmd,
			syntax: "PUBLISH channel message", summary: "Sends message to the channel's subscribers; answers how many received it.",
			differs: scope + " Needs write on the database; answers the receivers in that database."},
		&command{name: "pubsub", arity: -2, flags: flagRead,
			syntax: "PUBSUB CHANNELS|NUMSUB|NUMPAT", summary: "Introspects the selected database's channels."},
		&command{name: "pubsub|channels", arity: -2, flags: flagRead, run: pubsubChannelsCmd,
			syntax: "PUBSUB CHANNELS [pattern]", summary: "The active channels (matching pattern), of the selected database."},
		&command{name: "pubsub|numsub", arity: -2, flags: flagRead, run: pubsubNumsubCmd,
			syntax: "PUBSUB NUMSUB [channel ...]", summary: "The subscriber count of each channel, of the selected database."},
		&command{name: "pubsub|numpat", arity: 2, flags: flagRead, run: pubsubNumpatCmd,
			syntax: "PUBSUB NUMPAT", summary: "The number of distinct patterns subscribed in the selected database."},
	)
	ping, reset := table["ping"], table["reset"]
	pingRun, resetRun := ping.run, reset.run
	ping.run = func(c *call) error {
		if !c.sess.subscribed() || len(c.args) > 2 {
			return pingRun(c)
		}
		c.r.array(2)
		c.r.bulk([]byte("pong"))
		if len(c.args) == 2 {
			c.r.bulk(c.args[1])
		} else {
			c.r.bulk(nil)
		}
		return nil
	}
	reset.run = func(c *call) error {
		c.s.unsubscribeAll(c.sess.sub.Load(), false)
		c.s.unsubscribeAll(c.sess.sub.Load(), true)
		return resetRun(c)
	}
}

// vPattern marks the pattern forms (PSUBSCRIBE, PUNSUBSCRIBE).
const vPattern = vNegate << 1

// subscribedOnly is the refusal of a command in subscriber mode, or "".
func subscribedOnly(sess *session, row *command) string {
	if !sess.subscribed() {
		return ""
	}
	switch row.name {
	case "subscribe", "psubscribe", "unsubscribe", "punsubscribe", "ping", "quit", "reset":
		return ""
	}
	return errSubscribedOnly(row.name)
}

// subReply writes one (un)subscribe confirmation: [kind, name, count].
func subReply(c *call, kind string) func(name []byte, n int) {
	return func(name []byte, n int) {
		c.r.array(3)
		c.r.bulk([]byte(kind))
		if name == nil {
			c.r.null()
		} else {
			c.r.bulk(name)
		}
		c.r.int(int64(n))
	}
}

// SUBSCRIBE channel [channel ...] / PSUBSCRIBE pattern [pattern ...]
func subscribeCmd(c *call) error {
	sub := c.s.subscriberOf(c.sess)
	sub.acc.admitted(c.sess)
	p := c.row.has(vPattern)
	kind := "subscribe"
	if p {
		kind = "psubscribe"
	}
	c.s.subscribe(sub, c.sess.db, c.args[1:], p, subReply(c, kind))
	return nil
}

// UNSUBSCRIBE [channel ...] / PUNSUBSCRIBE [pattern ...]
func unsubscribeCmd(c *call) error {
	p := c.row.has(vPattern)
	kind := "unsubscribe"
	if p {
		kind = "punsubscribe"
	}
	c.s.unsubscribe(c.sess.sub.Load(), c.args[1:], p, subReply(c, kind))
	return nil
}

// PUBLISH channel message
func publishCmd(c *call) error {
	c.r.int(int64(c.s.publish(c.sess.db, c.args[1], c.args[2])))
	return nil
}

// PUBSUB CHANNELS [pattern]
func pubsubChannelsCmd(c *call) error {
	if len(c.args) > 3 {
		c.r.err(errPubsubArgs(c.args[1]))
		return nil
	}
	var pat []byte
	if len(c.args) == 3 {
		pat = c.args[2]
	}
	c.r.bulks(c.s.channelsOf(c.sess.db, pat))
	return nil
}

// PUBSUB NUMSUB [channel ...]
func pubsubNumsubCmd(c *call) error {
	c.r.array(2 * (len(c.args) - 2))
	for _, ch := range c.args[2:] {
		c.r.bulk(ch)
		c.r.int(int64(c.s.numSub(c.sess.db, ch)))
	}
	return nil
}

// PUBSUB NUMPAT
func pubsubNumpatCmd(c *call) error {
	c.r.int(int64(c.s.numPat(c.sess.db)))
	return nil
}
