package server_test

// Differential test of SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and
// PUBSUB against redis-server: the replies on one connection (subscriber mode, its
// refusals and PING included), and PUBLISH/NUMSUB counts seen from a second. Each
// command here has one reply, as tReviewDiff reads one. herodb's side runs in a selected
// database, redis-server's in its own: channels are per database in herodb.

import "testing"

func TestDiffPubSub(t *testing.T) {
	tReviewDiff(t, 2, [][]string{
		{"PUBSUB", "CHANNELS"},
		{"PUBSUB", "NUMSUB", "a"},
		{"PUBSUB", "NUMSUB"},
		{"PUBSUB", "NUMPAT"},
		{"PUBLISH", "a", "x"},
		{"UNSUBSCRIBE"},
		{"PUNSUBSCRIBE"},
		{"UNSUBSCRIBE", "a"},
		{"PUNSUBSCRIBE", "p*"},
		{"SUBSCRIBE"},
		{"PSUBSCRIBE"},
		{"PUBLISH", "a"},
		{"PUBSUB"},
		{"PUBSUB", "FOO"},
		{"PUBSUB", "CHANNELS", "a", "b"},
		{"PUBSUB", "NUMPAT", "x"},
		{"SUBSCRIBE", "a"},
		{"SUBSCRIBE", "a"},
		{"SUBSCRIBE", "b"},
		{"PSUBSCRIBE", "p*"},
		{"PSUBSCRIBE", "p*"},
		{"GET", "k"},
		{"SET", "k", "v"},
		{"PUBSUB", "CHANNELS"},
		{"PUBLISH", "a", "x"},
		{"SELECT", "1"},
		{"PING"},
		{"PING", "hello"},
		{"@1", "PUBSUB", "CHANNELS", "a"},
		{"@1", "PUBSUB", "NUMSUB", "a", "b", "c"},
		{"@1", "PUBSUB", "NUMPAT"},
		{"UNSUBSCRIBE", "c"},
		{"UNSUBSCRIBE", "b"},
		{"PUNSUBSCRIBE", "q*"},
		{"PUNSUBSCRIBE", "p*"},
		{"UNSUBSCRIBE"},
		{"PING"},
		{"GET", "k"},
		{"@1", "PUBSUB", "NUMSUB", "a"},
		{"@1", "PUBSUB", "NUMPAT"},
		{"PSUBSCRIBE", "a?"},
		{"@1", "PUBLISH", "ab", "m"},
		{"@1", "PUBLISH", "a", "m"},
		{"PING"}, // reads the pmessage before the pong
	})
}
