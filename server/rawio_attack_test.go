//go:build linux

package server_test

// Hostile tests of two changes: on Linux, plain sockets are read and written with raw
// system calls inside syscall.RawConn (rawio_linux.go, guardConn.fill and Write); and
// a run's replies start in capped 128-byte slots of one slab, one call struct serves
// every step of a run, and a connection's steps and output buffer are kept from one
// pipeline to the next (runner.go, handle). Everything is observed from a raw socket:
// reply bytes, error prefixes, the end of a connection, the server still answering.

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/herodbtest"
	"github.com/seed6aa118f9/herodb/server"
)

// raPattern is n bytes that differ with their offset and with seed, so a reply written
// from the wrong offset (a partial write resumed badly) or belonging to another key
// shows as a wrong byte, which a value of one repeated letter would hide.
func raPattern(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = 'a' + byte(x%26)
	}
	return b
}

func raBulk(b []byte) []byte {
	return append(append(fmt.Appendf(nil, "$%d\r\n", len(b)), b...), '\r', '\n')
}

// raEnded reports whether the peer ended the connection within d: EOF or a reset,
// after whatever bytes were still on their way (discarded).
func raEnded(c *tConn, d time.Duration) error {
	c.conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c.r)
	switch {
	case err == nil: // io.Copy's EOF
		return nil
	case tIsReset(err):
		return nil
	}
	return err
}

func raAdmin(t *testing.T, addr string) *tConn {
	t.Helper()
	adm := tDial(t, addr)
	tEq(t, "admin AUTH", adm.do("AUTH", herodbtest.AdminSecret), tOK)
	return adm
}

// raClientID is the id CLIENT LIST gives the connection named name ("" when absent).
func raClientID(adm *tConn, name string) string {
	for _, line := range strings.Split(adm.do("CLIENT", "LIST"), "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				return v
			}
		}
	}
	return ""
}

// TestRawAttackPatternedSlowReader: big replies written to a client that reads in odd
// chunks with pauses (many partial writes and EAGAINs, the write resumed in the
// poller's wait) arrive byte for byte, in order, three values of different sizes.
func TestRawAttackPatternedSlowReader(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	w := tSelected(t, srv.Addr(), id)
	sizes := []int{3<<20 + 7, 129, 1<<20 + 1}
	vals := make([][]byte, len(sizes))
	for i, n := range sizes {
		vals[i] = raPattern(i+1, n)
		tEq(t, "SET", w.doB([]byte("SET"), []byte("p"+strconv.Itoa(i)), vals[i]), tOK)
	}
	// A small window, set before connecting (shrunk after, Linux's loopback stalls for
	// good, with or without the raw path): the server's writes stop short often.
	dl := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	d, err := dl.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	var in []byte
	in = append(in, tEncode([]byte("SELECT"), []byte(strconv.FormatUint(id, 10)))...)
	var want []byte
	want = append(want, tOK...)
	for round := range 2 {
		for i := range vals {
			in = append(in, tEncode([]byte("GET"), []byte("p"+strconv.Itoa((i+round)%len(vals))))...)
			want = append(want, raBulk(vals[(i+round)%len(vals)])...)
		}
	}
	in = append(in, tEncode([]byte("PING"))...)
	want = append(want, "+PONG\r\n"...)
	d.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := d.Write(in); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	got := make([]byte, 0, len(want))
	buf := make([]byte, 70000)
	d.SetReadDeadline(time.Now().Add(30 * time.Second))
	for reads := 0; len(got) < len(want); reads++ {
		n, err := d.Read(buf[:1+rng.IntN(len(buf)-1)])
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", len(got), len(want), err)
		}
		if reads%64 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the replies differ from byte %d of %d", raFirstDiff(got, want), len(want))
	}
}

// TestRawAttackTrickledRequest: a big value sent in random pieces with pauses (many
// raw reads, each into what is left of the guard's buffer) is stored byte for byte.
func TestRawAttackTrickledRequest(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), id)
	val := raPattern(99, 2<<20+3)
	var in []byte
	in = append(in, tEncode([]byte("SET"), []byte("t"), val)...)
	in = append(in, tEncode([]byte("STRLEN"), []byte("t"))...)
	in = append(in, tEncode([]byte("GETRANGE"), []byte("t"), []byte("1048570"), []byte("1048600"))...)
	rng := rand.New(rand.NewPCG(3, 4))
	for i, n := 0, 0; i < len(in); i += n {
		n = min(len(in)-i, 1+rng.IntN(40000))
		c.write(in[i : i+n])
		if rng.IntN(8) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	tEq(t, "SET", c.read(), tOK)
	tEq(t, "STRLEN", c.read(), tInt(int64(len(val))))
	tEq(t, "GETRANGE", c.read(), string(raBulk(val[1048570:1048601])))
	if got := c.do("GET", "t"); got != string(raBulk(val)) {
		t.Fatalf("GET: the value differs from byte %d", raFirstDiff([]byte(got), raBulk(val)))
	}
}

func raFirstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestRawAttackPreAuthIdle: the pre-auth idle deadline is set before each raw read: a
// silent connection and one stuck inside a command are closed (no reply, no spin); an
// authenticated one idle for longer is not; the server answers throughout.
func TestRawAttackPreAuthIdle(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.PreAuthIdle = 300 * time.Millisecond }})
	silent := tDial(t, srv.Addr())
	partial := tDial(t, srv.Addr())
	partial.write([]byte("*2\r\n$4\r\nECHO\r\n$5\r\nab"))
	authed := tSelected(t, srv.Addr(), id)
	start := time.Now()
	for what, c := range map[string]*tConn{"silent": silent, "partial": partial} {
		c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.r.Read(make([]byte, 64))
		if n != 0 || (err != io.EOF && !tIsReset(err)) {
			t.Errorf("%s pre-auth connection: %d bytes, %v; want it closed", what, n, err)
		}
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("pre-auth connections closed after %v, before the 300 ms idle", took)
	}
	time.Sleep(400 * time.Millisecond)
	tEq(t, "authenticated after twice the idle", authed.do("PING"), "+PONG\r\n")
	tEq(t, "new connection", tDial(t, srv.Addr()).do("PING"), "+PONG\r\n")
}

// TestRawAttackResetsAndHalfCloses: peers that reset while the server waits in a raw
// read, or close mid-command, cost their connections only: no reply to the half
// command, nothing applied, every session gone, the server answering.
func TestRawAttackResetsAndHalfCloses(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	adm := raAdmin(t, srv.Addr())
	tEq(t, "name", adm.do("CLIENT", "SETNAME", "adm"), tOK)
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := tSelected(t, srv.Addr(), id)
			switch i % 3 {
			case 0: // reset while idle
				c.conn.(*net.TCPConn).SetLinger(0)
				c.conn.Close()
			case 1: // reset inside a bulk
				c.write([]byte("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc"))
				time.Sleep(20 * time.Millisecond)
				c.conn.(*net.TCPConn).SetLinger(0)
				c.conn.Close()
			case 2: // a whole command, half of the next, then EOF
				c.write(append(tEncode([]byte("INCR"), []byte("n")), "*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc"...))
				c.conn.(*net.TCPConn).CloseWrite()
				if got := c.read(); !strings.HasPrefix(got, ":") {
					t.Errorf("INCR before the half command: %q", got)
				}
				if err := raEnded(c, 10*time.Second); err != nil {
					t.Errorf("after EOF mid-command: %v; want the connection closed", err)
				}
			}
		}()
	}
	wg.Wait()
	o := tSelected(t, srv.Addr(), id)
	tEq(t, "half command not applied", o.do("GET", "half"), tNil)
	tEq(t, "whole commands applied", o.do("GET", "n"), tBulk("8"))
	tEventually(t, "every closed session gone", func() bool {
		return strings.Count(adm.do("CLIENT", "LIST"), "id=") == 2 // adm and o
	})
}

// TestRawAttackManyNonReaders: more clients than Ps, each blocked in a raw write to a
// peer that does not read, hold no P and no lock others need: other clients are served
// at once, and killing or resetting the stuck ones frees everything.
func TestRawAttackManyNonReaders(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	w := tSelected(t, srv.Addr(), id)
	val := raPattern(5, 1<<20)
	tEq(t, "SET", w.doB([]byte("SET"), []byte("big"), val), tOK)
	var pipe []byte
	for range 24 {
		pipe = append(pipe, tEncode([]byte("GET"), []byte("big"))...)
	}
	n := 2*runtime.GOMAXPROCS(0) + 2
	stuck := make([]*tConn, n)
	for i := range stuck {
		stuck[i] = tSelected(t, srv.Addr(), id)
		tEq(t, "SETNAME", stuck[i].do("CLIENT", "SETNAME", "stuck"+strconv.Itoa(i)), tOK)
		stuck[i].write(pipe)
	}
	time.Sleep(300 * time.Millisecond) // every stuck handler is waiting for its socket
	o := tSelected(t, srv.Addr(), id)
	for i := range 100 { // each within the helper's 10 s reply deadline: no stall, no speed bound
		tEq(t, "INCR beside the stuck writers", o.do("INCR", "c"), tInt(int64(i+1)))
	}
	// One stuck client reads all its replies: whole, in order.
	r := stuck[0]
	r.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i := range 24 {
		rep, err := tReadReply(r.r)
		if err != nil || !bytes.Equal(rep.raw, raBulk(val)) {
			t.Fatalf("reply %d to the reader: %d bytes, %v", i, len(rep.raw), err)
		}
	}
	tEq(t, "the reader goes on", r.do("PING"), "+PONG\r\n")
	adm := raAdmin(t, srv.Addr())
	for i := 1; i < n; i++ {
		if i%2 == 0 {
			stuck[i].conn.(*net.TCPConn).SetLinger(0)
			stuck[i].conn.Close()
			continue
		}
		cid := raClientID(adm, "stuck"+strconv.Itoa(i))
		if cid == "" {
			t.Fatalf("stuck%d not in CLIENT LIST", i)
		}
		tEq(t, "CLIENT KILL", adm.do("CLIENT", "KILL", "ID", cid), tInt(1))
		if err := raEnded(stuck[i], 10*time.Second); err != nil {
			t.Errorf("killed stuck%d: %v", i, err)
		}
	}
	tEventually(t, "stuck sessions gone", func() bool {
		l := adm.do("CLIENT", "LIST")
		for i := 1; i < n; i++ {
			if strings.Contains(l, " name=stuck"+strconv.Itoa(i)+" ") {
				return false
			}
		}
		return true
	})
	tEq(t, "server alive", tSelected(t, srv.Addr(), id).do("PING"), "+PONG\r\n")
}

// raModel is what a pipeline's replies must be: the strings, one list, one counter.
type raModel struct {
	str  map[string][]byte
	list [][]byte
	cnt  int64
}

func (m *raModel) get(k string) []byte {
	if v, ok := m.str[k]; ok {
		return raBulk(v)
	}
	return []byte(tNil)
}

// TestRawAttackPipelinesCrossNothing: random pipelines of every shape (replies around
// a slot's 128 bytes, past the slab's 64 steps, past the kept 256 steps and 16 KiB of
// output, lone commands between long pipelines) mixing group-committed data commands,
// EVAL with redis.call, MULTI/EXEC, BLPOP that finds an element, ECHO and PING run
// alone, and WRONGTYPE errors: every reply is exactly the model's, in order, so no
// reply crosses into another step, no step or byte of a pipeline outlives it.
func TestRawAttackPipelinesCrossNothing(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), id)
	tEq(t, "SET str", c.do("SET", "str", "s"), tOK)
	m := &raModel{str: map[string][]byte{"str": []byte("s")}}
	rng := rand.New(rand.NewPCG(7, 8))
	sizes := []int{0, 1, 2, 60, 110, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 250, 256, 1000, 4000}
	seed := 0
	value := func() []byte {
		seed++
		n := sizes[rng.IntN(len(sizes))]
		if rng.IntN(200) == 0 {
			n = 70000
		}
		return raPattern(seed, n)
	}
	key := func() string { return "k" + strconv.Itoa(rng.IntN(12)) }
	const getScript = "return redis.call('GET', KEYS[1])"
	const setScript = "redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1]"
	lengths := []int{1, 1, 2, 5, 63, 64, 65, 130, 257, 300, 1, 3}
	for round := range 24 {
		steps := lengths[round%len(lengths)]
		if round >= len(lengths) {
			steps = 1 + rng.IntN(320)
		}
		var in, want []byte
		add := func(reply []byte, args ...[]byte) {
			in = append(in, tEncode(args...)...)
			want = append(want, reply...)
		}
		for range steps {
			k := key()
			switch op := rng.IntN(14); op {
			case 0, 1:
				v := value()
				m.str[k] = v
				add([]byte(tOK), []byte("SET"), []byte(k), v)
			case 2, 3:
				add(m.get(k), []byte("GET"), []byte(k))
			case 4:
				add([]byte(tInt(int64(len(m.str[k])))), []byte("STRLEN"), []byte(k))
			case 5:
				v := value()
				add(raBulk(v), []byte("ECHO"), v)
			case 6:
				add(m.get(k), []byte("EVAL"), []byte(getScript), []byte("1"), []byte(k))
			case 7:
				v := value()
				m.str[k] = v
				add(raBulk(v), []byte("EVAL"), []byte(setScript), []byte("1"), []byte(k), v)
			case 8:
				add([]byte(tErr("WRONGTYPE Operation against a key holding the wrong kind of value")), []byte("RPUSH"), []byte("str"), []byte("x"))
			case 9:
				v := value()
				m.list = append(m.list, v)
				add([]byte(tInt(int64(len(m.list)))), []byte("RPUSH"), []byte("L"), v)
			case 10:
				if len(m.list) == 0 {
					add([]byte("+PONG\r\n"), []byte("PING"))
					continue
				}
				v := m.list[0]
				m.list = m.list[1:]
				add(append([]byte("*2\r\n$1\r\nL\r\n"), raBulk(v)...), []byte("BLPOP"), []byte("L"), []byte("1"))
			case 11:
				m.cnt++
				add([]byte(tInt(m.cnt)), []byte("INCR"), []byte("cnt"))
			case 12:
				// MULTI … EXEC: the replies are queued, then the array.
				add([]byte(tOK), []byte("MULTI"))
				var inner []byte
				q := 1 + rng.IntN(70)
				for range q {
					k := key()
					switch rng.IntN(3) {
					case 0:
						v := value()
						m.str[k] = v
						add([]byte("+QUEUED\r\n"), []byte("SET"), []byte(k), v)
						inner = append(inner, tOK...)
					case 1: // a script inside EXEC: its redis.call beside EXEC's one call
						v := value()
						m.str[k] = v
						add([]byte("+QUEUED\r\n"), []byte("EVAL"), []byte(setScript), []byte("1"), []byte(k), v)
						inner = append(inner, raBulk(v)...)
					default:
						add([]byte("+QUEUED\r\n"), []byte("GET"), []byte(k))
						inner = append(inner, m.get(k)...)
					}
				}
				add(append(fmt.Appendf(nil, "*%d\r\n", q), inner...), []byte("EXEC"))
			case 13:
				add([]byte("+PONG\r\n"), []byte("PING"))
			}
		}
		c.write(in)
		got := tReadN(t, c, len(want))
		if !bytes.Equal(got, want) {
			i := raFirstDiff(got, want)
			t.Fatalf("round %d (%d steps): replies differ at byte %d of %d: got %q, want %q", round, steps, i, len(want),
				got[max(0, i-40):min(len(got), i+40)], want[max(0, i-40):min(len(want), i+40)])
		}
	}
}

// TestRawAttackQuitMidPipeline: QUIT in the middle of a long pipeline answers what came
// before and itself, runs nothing after it, and closes; the next connection on the
// same server sees none of it.
func TestRawAttackQuitMidPipeline(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), id)
	var in, want []byte
	for i := range 100 {
		in = append(in, tEncode([]byte("SET"), []byte("q"), []byte(strconv.Itoa(i)))...)
		want = append(want, tOK...)
	}
	in = append(in, tEncode([]byte("QUIT"))...)
	want = append(want, tOK...)
	for range 100 {
		in = append(in, tEncode([]byte("SET"), []byte("q"), []byte("after"))...)
	}
	c.write(in)
	tEq(t, "replies up to QUIT", string(tReadN(t, c, len(want))), string(want))
	if err := raEnded(c, 10*time.Second); err != nil {
		t.Errorf("after QUIT: %v", err)
	}
	o := tSelected(t, srv.Addr(), id)
	tEq(t, "nothing after QUIT ran", o.do("GET", "q"), tBulk("99"))

	// In subscriber mode QUIT closes after the queued replies.
	s := tSelected(t, srv.Addr(), id)
	s.write(append(append(tEncode([]byte("SUBSCRIBE"), []byte("qc")), tEncode([]byte("QUIT"))...), tEncode([]byte("PING"))...))
	tEq(t, "SUBSCRIBE", s.read(), "*3\r\n$9\r\nsubscribe\r\n$2\r\nqc\r\n:1\r\n")
	tEq(t, "QUIT", s.read(), tOK)
	if err := raEnded(s, 10*time.Second); err != nil {
		t.Errorf("subscriber after QUIT: %v", err)
	}
	tEq(t, "PUBLISH after the subscriber quit", o.do("PUBLISH", "qc", "x"), tInt(0))
}

// TestRawAttackBlockingInPipeline: a BLPOP in the middle of a pipeline sends the
// replies before it, then waits (the peer watch wakes the socket's read with a past
// deadline); once woken, its reply and those after it come in order, and the next
// command read through the raw path still works (no deadline left behind). A blocked
// client that resets takes no element with it.
func TestRawAttackBlockingInPipeline(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), id)
	o := tSelected(t, srv.Addr(), id)
	for round := range 3 {
		var in []byte
		in = append(in, tEncode([]byte("SET"), []byte("x"), raPattern(round, 120))...)
		in = append(in, tEncode([]byte("GET"), []byte("x"))...)
		in = append(in, tEncode([]byte("BLPOP"), []byte("bq"), []byte("0"))...)
		in = append(in, tEncode([]byte("GET"), []byte("x"))...)
		c.write(in)
		tEq(t, "SET before BLPOP", c.read(), tOK)
		tEq(t, "GET before BLPOP", c.read(), string(raBulk(raPattern(round, 120))))
		time.Sleep(50 * time.Millisecond) // blocked
		tEq(t, "RPUSH", o.do("RPUSH", "bq", "v"+strconv.Itoa(round)), tInt(1))
		tEq(t, "BLPOP woken", c.read(), "*2\r\n$2\r\nbq\r\n"+tBulk("v"+strconv.Itoa(round)))
		tEq(t, "GET after BLPOP", c.read(), string(raBulk(raPattern(round, 120))))
		time.Sleep(20 * time.Millisecond)
		tEq(t, "a later command", c.do("PING"), "+PONG\r\n")
	}
	// Bytes sent while blocked end the peer watch; they are read after the wake-up.
	c.send("BLPOP", "bq", "0")
	time.Sleep(50 * time.Millisecond)
	c.send("ECHO", "sent while blocked")
	time.Sleep(50 * time.Millisecond)
	tEq(t, "RPUSH", o.do("RPUSH", "bq", "w"), tInt(1))
	tEq(t, "BLPOP woken", c.read(), "*2\r\n$2\r\nbq\r\n"+tBulk("w"))
	tEq(t, "ECHO sent while blocked", c.read(), tBulk("sent while blocked"))
	c.write(append(tEncode([]byte("BLPOP"), []byte("bq"), []byte("0.05")), tEncode([]byte("ECHO"), []byte("after"))...))
	tEq(t, "BLPOP timeout", c.read(), tNilA)
	tEq(t, "ECHO after the timeout", c.read(), tBulk("after"))

	g := tSelected(t, srv.Addr(), id)
	g.send("BLPOP", "bq", "0")
	time.Sleep(100 * time.Millisecond)
	gAddr := g.conn.LocalAddr().String()
	g.conn.(*net.TCPConn).SetLinger(0)
	g.conn.Close()
	// Until the server has seen the reset, the waiter is still there and would take
	// the element: wait for its session to go (a loaded machine can take a while).
	for deadline := time.Now().Add(10 * time.Second); strings.Contains(o.do("CLIENT", "LIST"), "addr="+gAddr+" "); {
		if time.Now().After(deadline) {
			t.Fatalf("the reset blocked client is still in CLIENT LIST after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	tEq(t, "RPUSH after the reset", o.do("RPUSH", "bq", "kept"), tInt(1))
	tEq(t, "the element stays", o.do("LRANGE", "bq", "0", "-1"), "*1\r\n"+tBulk("kept"))
}

// TestRawAttackSubscriberPipeline: replies before SUBSCRIBE in the same pipeline, the
// subscription, messages of sizes around a slot, UNSUBSCRIBE and data commands after
// it, over several pipelines whose output buffer is the session's: all in order.
func TestRawAttackSubscriberPipeline(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	s := tSelected(t, srv.Addr(), id)
	p := tSelected(t, srv.Addr(), id)
	for round := range 3 {
		v := raPattern(round+40, 125)
		var in []byte
		in = append(in, tEncode([]byte("SET"), []byte("sv"), v)...)
		in = append(in, tEncode([]byte("GET"), []byte("sv"))...)
		in = append(in, tEncode([]byte("SUBSCRIBE"), []byte("ch"))...)
		in = append(in, tEncode([]byte("PING"))...)
		s.write(in)
		tEq(t, "SET", s.read(), tOK)
		tEq(t, "GET", s.read(), string(raBulk(v)))
		tEq(t, "SUBSCRIBE", s.read(), "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
		tEq(t, "PING subscribed", s.read(), "*2\r\n$4\r\npong\r\n$0\r\n\r\n")
		var msgs [][]byte
		for i := range 40 {
			msg := raPattern(round*100+i, 100+i)
			msgs = append(msgs, msg)
			tEq(t, "PUBLISH", p.doB([]byte("PUBLISH"), []byte("ch"), msg), tInt(1))
		}
		for i, msg := range msgs {
			want := append([]byte("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n"), raBulk(msg)...)
			if got := s.read(); got != string(want) {
				t.Fatalf("round %d message %d: %q", round, i, got)
			}
		}
		s.write(append(tEncode([]byte("UNSUBSCRIBE"), []byte("ch")), tEncode([]byte("GET"), []byte("sv"))...))
		tEq(t, "UNSUBSCRIBE", s.read(), "*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n")
		tEq(t, "GET after UNSUBSCRIBE", s.read(), string(raBulk(v)))
		tEq(t, "a lone GET", s.do("GET", "sv"), string(raBulk(v)))
	}
}

// TestRawAttackOutputLimit: with a 1 MiB client output limit, an EXEC whose replies
// pass it is refused whole and closes, not applied; a lone reply past it closes the
// connection without a byte of it; others and the next pipeline of the same server are
// unaffected.
func TestRawAttackOutputLimit(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{Configure: func(c *server.Config) { c.MaxOutput = 1 << 20 }})
	w := tSelected(t, srv.Addr(), id)
	mid := raPattern(11, 400<<10)
	huge := raPattern(12, 1<<20+10)
	tEq(t, "SET mid", w.doB([]byte("SET"), []byte("mid"), mid), tOK)
	tEq(t, "SET huge", w.doB([]byte("SET"), []byte("huge"), huge), tOK)

	c := tSelected(t, srv.Addr(), id)
	var in []byte
	in = append(in, tEncode([]byte("MULTI"))...)
	in = append(in, tEncode([]byte("SET"), []byte("flag"), []byte("1"))...)
	for range 3 {
		in = append(in, tEncode([]byte("GET"), []byte("mid"))...)
	}
	in = append(in, tEncode([]byte("EXEC"))...)
	in = append(in, tEncode([]byte("PING"))...)
	c.write(in)
	tEq(t, "MULTI", c.read(), tOK)
	for range 4 {
		tEq(t, "QUEUED", c.read(), "+QUEUED\r\n")
	}
	tEq(t, "EXEC past the limit", c.read(), tErr("ERR EXEC's replies exceed the client output limit; the transaction was not applied"))
	if err := raEnded(c, 10*time.Second); err != nil {
		t.Errorf("after the refused EXEC: %v", err)
	}
	tEq(t, "EXEC not applied", w.do("GET", "flag"), tNil)

	l := tSelected(t, srv.Addr(), id)
	l.write(append(append(tEncode([]byte("GET"), []byte("mid")), tEncode([]byte("GET"), []byte("huge"))...), tEncode([]byte("PING"))...))
	tEq(t, "the reply under the limit", l.read(), string(raBulk(mid)))
	l.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(l.r)
	if (err != nil && !tIsReset(err)) || len(rest) != 0 {
		t.Errorf("after a reply past the limit: %d more bytes (%.20q), %v; want the connection closed", len(rest), rest, err)
	}
	tEq(t, "others served", w.do("GET", "flag"), tNil)
	tEq(t, "next client", string(tSelected(t, srv.Addr(), id).doB([]byte("GET"), []byte("mid"))), string(raBulk(mid)))
}

// TestRawAttackClientKillSelfAndIdle: CLIENT KILL of a client idle in a raw read ends
// it at once; CLIENT KILL of one's own connection mid-pipeline ends it (no hang, no
// spin on the closed socket); the server answers after both.
func TestRawAttackClientKillSelfAndIdle(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	adm := raAdmin(t, srv.Addr())
	idle := tSelected(t, srv.Addr(), id)
	tEq(t, "SETNAME", idle.do("CLIENT", "SETNAME", "idle"), tOK)
	cid := raClientID(adm, "idle")
	if cid == "" {
		t.Fatal("idle not in CLIENT LIST")
	}
	tEq(t, "CLIENT KILL idle", adm.do("CLIENT", "KILL", "ID", cid), tInt(1))
	if err := raEnded(idle, 5*time.Second); err != nil {
		t.Errorf("killed idle client: %v", err)
	}

	me := raAdmin(t, srv.Addr())
	tEq(t, "SETNAME", me.do("CLIENT", "SETNAME", "me"), tOK)
	mid := raClientID(adm, "me")
	var in []byte
	in = append(in, tEncode([]byte("CLIENT"), []byte("KILL"), []byte("ID"), []byte(mid))...)
	for range 200 {
		in = append(in, tEncode([]byte("ECHO"), raPattern(1, 5000))...)
	}
	// About 1 MB, more than the socket buffers hold: the server may kill the connection
	// while the rest is still being sent, so a reset of this write is expected.
	me.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := me.conn.Write(in); err != nil && !tIsReset(err) && !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("write: %v", err)
	}
	if err := raEnded(me, 5*time.Second); err != nil {
		t.Errorf("client that killed itself: %v", err)
	}
	tEventually(t, "killed sessions gone", func() bool {
		l := adm.do("CLIENT", "LIST")
		return !strings.Contains(l, " name=me ") && !strings.Contains(l, " name=idle ")
	})
	tEq(t, "server alive", tSelected(t, srv.Addr(), id).do("PING"), "+PONG\r\n")
}

// TestRawAttackProtocolErrorAfterReplies: a pipeline of good commands then a bad
// header: the good ones' replies (written raw) come first, then the protocol error
// (written through net.Conn), then the close.
func TestRawAttackProtocolErrorAfterReplies(t *testing.T) {
	srv, id := tServer(t, herodbtest.Options{})
	c := tSelected(t, srv.Addr(), id)
	v := raPattern(3, 100<<10)
	tEq(t, "SET", c.doB([]byte("SET"), []byte("pv"), v), tOK)
	var in, want []byte
	for range 40 {
		in = append(in, tEncode([]byte("GET"), []byte("pv"))...)
		want = append(want, raBulk(v)...)
	}
	in = append(in, "*1\r\n$x\r\n"...)
	c.write(in)
	got := tReadN(t, c, len(want))
	if !bytes.Equal(got, want) {
		t.Fatalf("replies before the protocol error differ at byte %d", raFirstDiff(got, want))
	}
	rep, err := c.readReply()
	if err != nil || !strings.HasPrefix(string(rep.raw), "-ERR Protocol error") {
		t.Fatalf("after the replies: %q, %v; want the protocol error", rep.raw, err)
	}
	if err := raEnded(c, 5*time.Second); err != nil {
		t.Errorf("after the protocol error: %v", err)
	}
	tEq(t, "server alive", tSelected(t, srv.Addr(), id).do("PING"), "+PONG\r\n")
}
