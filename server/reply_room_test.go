package server_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/seed6aa118f9/herodb/herodbtest"
)

// A run's replies start in slots of one buffer (runner.go, giveReplyRoom) and a
// connection's steps and output buffer are reused from one pipeline to the next
// (handle). Replies of every size around a slot's room, more steps than the slab
// holds, a shorter pipeline after a longer one and a MULTI across pipelines must all
// come back whole and in order: a reply that overflowed its slot onto the next, or a
// step left over from the pipeline before, shows here as a wrong byte.
func TestReplyRoomPipelines(t *testing.T) {
	srv, db := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), db)
	sizes := []int{0, 1, 100, 116, 117, 118, 119, 120, 127, 128, 129, 255, 1000, 70000}
	val := func(i, n int) string {
		return strings.Repeat(string(rune('a'+i%26)), n)
	}
	var want, pipe bytes.Buffer
	for i, n := range sizes {
		pipe.Write(tEncode(tStrs([]string{"SET", fmt.Sprintf("k%d", i), val(i, n)})...))
		want.WriteString("+OK\r\n")
	}
	// 150 steps: past the slab's 64, sizes interleaved so big replies sit between small.
	for j := range 150 {
		i := (j * 7) % len(sizes)
		pipe.Write(tEncode(tStrs([]string{"GET", fmt.Sprintf("k%d", i)})...))
		fmt.Fprintf(&want, "$%d\r\n%s\r\n", sizes[i], val(i, sizes[i]))
		if j%5 == 0 {
			pipe.Write(tEncode(tStrs([]string{"STRLEN", fmt.Sprintf("k%d", i)})...))
			fmt.Fprintf(&want, ":%d\r\n", sizes[i])
		}
	}
	pipe.Write(tEncode(tStrs([]string{"GET", "missing"})...))
	want.WriteString("$-1\r\n")
	for round := range 3 {
		c.write(pipe.Bytes())
		got := tReadN(t, c, want.Len())
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("round %d: the pipeline's replies differ from byte %d", round, firstDiff(got, want.Bytes()))
		}
		// A shorter pipeline after the long one: only its own replies come back.
		c.write(tEncode(tStrs([]string{"GET", "k12"})...))
		if got, w := tReadN(t, c, len(val(12, 1000))+8), fmt.Sprintf("$1000\r\n%s\r\n", val(12, 1000)); string(got) != w {
			t.Fatalf("round %d: the lone GET after the pipeline: %q", round, got[:min(len(got), 40)])
		}
	}
	// MULTI opened in one pipeline, more queued in the next, EXEC in a third: the queued
	// steps outlive the pipelines that read them.
	c.write(append(tEncode(tStrs([]string{"MULTI"})...), tEncode(tStrs([]string{"GET", "k9"})...)...))
	if got := string(tReadN(t, c, len("+OK\r\n+QUEUED\r\n"))); got != "+OK\r\n+QUEUED\r\n" {
		t.Fatalf("MULTI, GET: %q", got)
	}
	c.write(tEncode(tStrs([]string{"GET", "k10"})...))
	if got := c.read(); got != "+QUEUED\r\n" {
		t.Fatalf("GET queued: %q", got)
	}
	c.write(tEncode(tStrs([]string{"EXEC"})...))
	w := fmt.Sprintf("*2\r\n$128\r\n%s\r\n$129\r\n%s\r\n", val(9, 128), val(10, 129))
	if got := string(tReadN(t, c, len(w))); got != w {
		t.Fatalf("EXEC: %q; want %q", got, w)
	}
}

// tReadN reads exactly n bytes of replies.
func tReadN(t *testing.T, c *tConn, n int) []byte {
	t.Helper()
	var out []byte
	for len(out) < n {
		rep, err := c.readReply()
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", len(out), n, err)
		}
		out = append(out, rep.raw...)
	}
	return out
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
