package server_test

// The node's write-ahead log, end to end against the real binary: kill -9 with every
// change only in the log (--flush-interval 1h), a torn last frame, a corrupted early
// frame, plaintext on disk, a deleted database's frames, and recovery in groups of
// --max-open-dbs. Frames are located with the layout of storage/wal/frame.go: a 32-byte
// segment header, then frames of a 40-byte header (body length big-endian at bytes 4..8),
// the body and a 32-byte MAC.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed6aa118f9/herodb/storage"

	"github.com/seed6aa118f9/herodb/rpc"
)

const (
	wSegHeader   = 32 // segment header: magic, first seq, MAC
	wFrameHeader = 40 // frame header: magic, length, seq, durable, MAC
	wFrameMAC    = 32 // body MAC after the body
)

// wBuf is a goroutine-safe buffer for a child's stderr.
type wBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *wBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *wBuf) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// wNode is one data directory served by the real binary, started and killed in turn.
type wNode struct {
	t          *testing.T
	bin        string
	dir        string // the data directory (--dir)
	secret     string
	secretFile string
	port       int
	addr       string
	rpcURL     string
	cmd        *exec.Cmd
	stderr     *wBuf
	exited     chan struct{}
	waitErr    error
}

// wSetup builds the binary and prepares a data directory and an admin secret file.
func wSetup(t *testing.T) *wNode {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	n := &wNode{t: t, bin: tBuildHerodb(t), dir: filepath.Join(t.TempDir(), "data"),
		secret: "wal-admin-secret-5f1c9a", secretFile: filepath.Join(t.TempDir(), "secret")}
	tNoErr(t, "write secret", os.WriteFile(n.secretFile, []byte(n.secret+"\n"), 0o600))
	return n
}

// args is the command line: --dev (public database "demo", id 1; RPC on), nothing flushed
// to a database file for an hour, then extra (a later flag overrides an earlier one).
func (n *wNode) args(rpcPort int, extra []string) []string {
	args := []string{"serve", "--dev", "--dir", n.dir, "--admin-secret-file", n.secretFile,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(n.port), "--rpc-bind", "127.0.0.1",
		"--rpc-port", strconv.Itoa(rpcPort), "--flush-interval", "1h"}
	return append(args, extra...)
}

// exec starts the binary with its stderr captured; it does not wait for it to serve.
func (n *wNode) exec(extra ...string) {
	n.t.Helper()
	if n.cmd != nil && n.alive() {
		n.t.Fatal("herodb is already running")
	}
	n.port = tFreePort(n.t)
	rpcPort := tFreePort(n.t)
	n.addr = "127.0.0.1:" + strconv.Itoa(n.port)
	n.rpcURL = "http://127.0.0.1:" + strconv.Itoa(rpcPort) + "/"
	cmd := exec.Command(n.bin, n.args(rpcPort, extra)...)
	n.stderr = &wBuf{}
	cmd.Stderr, cmd.Stdout = n.stderr, n.stderr
	tNoErr(n.t, "start herodb", cmd.Start())
	exited := make(chan struct{})
	n.cmd, n.exited = cmd, exited
	go func() { n.waitErr = cmd.Wait(); close(exited) }()
	n.t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
}

func (n *wNode) alive() bool {
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// start starts the binary and waits until both RESP and the RPC answer (the RPC is served
// after --dev has created "demo", so a client never races its creation).
func (n *wNode) start(extra ...string) {
	n.t.Helper()
	n.exec(extra...)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if !n.alive() {
			n.t.Fatalf("herodb exited at start (%v): %s", n.waitErr, n.stderr)
		}
		if c, err := net.DialTimeout("tcp", n.addr, time.Second); err == nil {
			c.Close()
			var info map[string]any
			if n.rpcErr("herodb_getServerInfo", []any{}, &info) == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("herodb did not start within 10 s: %s", n.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill9 SIGKILLs the server and waits for it to be gone.
func (n *wNode) kill9() {
	n.t.Helper()
	tNoErr(n.t, "kill -9", n.cmd.Process.Signal(syscall.SIGKILL))
	<-n.exited
}

// term stops the server with SIGTERM and requires a clean exit.
func (n *wNode) term() {
	n.t.Helper()
	tNoErr(n.t, "SIGTERM", n.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		n.t.Fatal("herodb did not exit within 10 s of SIGTERM")
	}
	if n.waitErr != nil {
		n.t.Fatalf("exit after SIGTERM: %v: %s", n.waitErr, n.stderr)
	}
}

// startFails starts the binary and requires it to exit non-zero by itself; it returns
// the exit code and what it wrote.
func (n *wNode) startFails(extra ...string) (int, string) {
	n.t.Helper()
	n.exec(extra...)
	deadline := time.Now().Add(10 * time.Second)
	for n.alive() {
		if c, err := net.DialTimeout("tcp", n.addr, 100*time.Millisecond); err == nil {
			c.Close()
			n.t.Fatalf("herodb started serving; it was expected to refuse to start: %s", n.stderr)
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("herodb did not exit within 10 s; it was expected to refuse to start: %s", n.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var exit *exec.ExitError
	if !errors.As(n.waitErr, &exit) || exit.ExitCode() == 0 {
		n.t.Fatalf("exit: %v, want a non-zero exit code: %s", n.waitErr, n.stderr)
	}
	return exit.ExitCode(), n.stderr.String()
}

// client is a go-redis client on database db, authenticated as the admin; a write is
// sent once, so an acknowledged one is exactly known.
func (n *wNode) client(db uint64) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: n.addr, DB: int(db), Password: n.secret, Protocol: 2,
		MaxRetries: -1, DisableIdentity: true})
	n.t.Cleanup(func() { rdb.Close() })
	return rdb
}

// rpc calls a JSON-RPC method as the admin and fails the test on an error.
func (n *wNode) rpc(method string, params any, out any) {
	n.t.Helper()
	tNoErr(n.t, method, n.rpcErr(method, params, out))
}

func (n *wNode) rpcErr(method string, params any, out any) error {
	return rpc.Call(n.rpcURL, n.secret, method, params, out)
}

// createDB creates a private database and returns its id.
func (n *wNode) createDB(name string) uint64 {
	n.t.Helper()
	var id uint64
	n.rpc("herodb_createDatabase", []any{"bbolt", map[string]any{"name": name, "storage_path": nil,
		"max_size": nil, "redis_version": nil, "public": false}, nil}, &id)
	return id
}

// replayed is the "log replayed" line of the current run's stderr (logged), as its
// key=value fields.
func (n *wNode) replayed() map[string]string {
	n.t.Helper()
	for _, line := range strings.Split(n.stderr.String(), "\n") {
		if !strings.Contains(line, `msg="log replayed"`) {
			continue
		}
		n.t.Logf("%s", line)
		out := map[string]string{}
		for _, m := range regexp.MustCompile(`(\w+)=(\S+)`).FindAllStringSubmatch(line, -1) {
			out[m[1]] = m[2]
		}
		return out
	}
	n.t.Fatalf("no \"log replayed\" line in stderr: %s", n.stderr)
	return nil
}

// segments is the log's segment files, oldest first.
func (n *wNode) segments() []string {
	n.t.Helper()
	segs, err := filepath.Glob(filepath.Join(n.dir, "wal", "*.wal"))
	tNoErr(n.t, "glob segments", err)
	sort.Strings(segs)
	if len(segs) == 0 {
		n.t.Fatalf("no segment in %s", filepath.Join(n.dir, "wal"))
	}
	return segs
}

// wFrame is where one frame lies in its segment.
type wFrame struct {
	off     int64 // where its header starts
	bodyLen int64
}

func (f wFrame) end() int64 { return f.off + wFrameHeader + f.bodyLen + wFrameMAC }

// wFrames walks the frames of a segment file: whole frames, then (after a kill) the
// zeros the log preallocates ahead of its writes, which end the walk.
func wFrames(t *testing.T, path string) []wFrame {
	t.Helper()
	b, err := os.ReadFile(path)
	tNoErr(t, "read segment", err)
	if len(b) < wSegHeader || string(b[:8]) != "HDBWAL01" {
		t.Fatalf("%s: no segment header (%d bytes)", path, len(b))
	}
	var out []wFrame
	off := int64(wSegHeader)
	for off < int64(len(b)) {
		if !bytes.ContainsFunc(b[off:], func(r rune) bool { return r != 0 }) {
			break // the preallocated zeros
		}
		if int64(len(b))-off < wFrameHeader || string(b[off:off+4]) != "HWF1" {
			t.Fatalf("%s offset %d: not a frame header", path, off)
		}
		f := wFrame{off: off, bodyLen: int64(binary.BigEndian.Uint32(b[off+4 : off+8]))}
		if f.end() > int64(len(b)) {
			t.Fatalf("%s offset %d: frame of %d body bytes runs past the end (%d)", path, off, f.bodyLen, len(b))
		}
		out = append(out, f)
		off = f.end()
	}
	return out
}

// allFrames counts the frames in every segment.
func (n *wNode) allFrames() int {
	n.t.Helper()
	total := 0
	for _, s := range n.segments() {
		total += len(wFrames(n.t, s))
	}
	return total
}

// wNoPlaintext fails for every file under dir holding one of secrets (grep -a).
func wNoPlaintext(t *testing.T, dir string, secrets []string) (files int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q in the clear", path, s)
			}
		}
		return nil
	})
	tNoErr(t, "walk "+dir, err)
	return files
}

func wKey(i int) string { return fmt.Sprintf("wal:%02d", i) }
func wVal(i int) string { return strings.Repeat(fmt.Sprintf("value-%02d|", i), 8) }

// wSet50 writes wKey(0..49) on database 1 one SET at a time: each acknowledged SET is one
// frame of the log.
func wSet50(n *wNode) {
	n.t.Helper()
	rdb := n.client(1)
	for i := 0; i < 50; i++ {
		tNoErr(n.t, "SET "+wKey(i), rdb.Set(tCtx, wKey(i), wVal(i), 0).Err())
	}
	rdb.Close()
}

// wCheckKeys requires wKey(from..to-1) on database 1 with their values.
func wCheckKeys(n *wNode, from, to int) {
	n.t.Helper()
	rdb := n.client(1)
	defer rdb.Close()
	for i := from; i < to; i++ {
		if v, err := rdb.Get(tCtx, wKey(i)).Result(); err != nil || v != wVal(i) {
			n.t.Fatalf("%s: %q, %v; want %q", wKey(i), v, err, wVal(i))
		}
	}
}

func TestWALTornTail(t *testing.T) {
	n := wSetup(t)
	n.start()
	wSet50(n)
	n.kill9()

	tEq(t, "frames in the log after 50 acknowledged SETs", n.allFrames(), 50)
	segs := n.segments()
	last := segs[len(segs)-1]
	frames := wFrames(t, last)
	if len(frames) == 0 {
		t.Fatalf("the last segment %s holds no frame", last)
	}
	f := frames[len(frames)-1]
	cut := f.off + wFrameHeader + f.bodyLen/2 // mid-way through the last frame's body
	tNoErr(t, "truncate", os.Truncate(last, cut))

	n.start()
	if !strings.Contains(n.stderr.String(), "torn tail") {
		t.Errorf("no torn-tail warning in stderr: %s", n.stderr)
	}
	wCheckKeys(n, 0, 49)
	rdb := n.client(1)
	if err := rdb.Get(tCtx, wKey(49)).Err(); err != redis.Nil {
		t.Fatalf("%s, whose frame was torn: %v, want nil", wKey(49), err)
	}
	tEq(t, "DBSIZE after the torn tail", rdb.DBSize(tCtx).Val(), 49)
	tNoErr(t, "SET after recovery", rdb.Set(tCtx, "after-torn", "fresh", 0).Err())
	rdb.Close()
	n.kill9()

	n.start()
	wCheckKeys(n, 0, 49)
	rdb = n.client(1)
	tEq(t, "after-torn after a second kill -9", rdb.Get(tCtx, "after-torn").Val(), "fresh")
	if err := rdb.Get(tCtx, wKey(49)).Err(); err != redis.Nil {
		t.Errorf("%s came back after the second restart: %v", wKey(49), err)
	}
	tEq(t, "DBSIZE after the second restart", rdb.DBSize(tCtx).Val(), 50)
}

func TestWALCorruptFrameStops(t *testing.T) {
	n := wSetup(t)
	n.start()
	wSet50(n)
	n.kill9()

	tEq(t, "frames in the log after 50 acknowledged SETs", n.allFrames(), 50)
	segs := n.segments()
	seg := segs[0]
	frames := wFrames(t, seg)
	const damaged = 9 // the 10th frame: wKey(9)'s SET
	if len(frames) <= damaged+1 {
		t.Fatalf("the first segment holds %d frames, want more than %d", len(frames), damaged+1)
	}
	f := frames[damaged]
	b, err := os.ReadFile(seg)
	tNoErr(t, "read segment", err)
	b[f.off+wFrameHeader+f.bodyLen/2] ^= 0x20 // one bit of the body: the header still checks
	tNoErr(t, "write segment", os.WriteFile(seg, b, 0o600))

	before := tHashDir(t, n.dir)
	code, msg := n.startFails()
	t.Logf("exit %d: %s", code, strings.TrimSpace(msg))
	for _, want := range []string{seg, fmt.Sprintf("offset %d:", f.off), "corruption, not a torn tail",
		fmt.Sprintf("--wal-recover=truncate to keep the %d frames", damaged)} {
		if !strings.Contains(msg, want) {
			t.Errorf("stderr does not say %q: %s", want, msg)
		}
	}
	after := tHashDir(t, n.dir)
	tEq(t, "files after the refused start", len(after), len(before))
	for p, h := range before {
		if after[p] != h {
			t.Errorf("%s changed in a refused start", p)
		}
	}

	n.start("--wal-recover=truncate")
	if !strings.Contains(n.stderr.String(), "dropped frames after corruption") {
		t.Errorf("no warning about the dropped frames: %s", n.stderr)
	}
	wCheckKeys(n, 0, damaged)
	// The truncated log is whole again: a write, kill -9 and a default start keep it all.
	rdb := n.client(1)
	tNoErr(t, "SET after truncate", rdb.Set(tCtx, "after-truncate", "ok", 0).Err())
	rdb.Close()
	n.kill9()
	n.start()
	wCheckKeys(n, 0, damaged)
	tEq(t, "after-truncate after kill -9", n.client(1).Get(tCtx, "after-truncate").Val(), "ok")
}

func TestWALNoPlaintextOnDisk(t *testing.T) {
	n := wSetup(t)
	n.start()
	const (
		strKey, strVal          = "zebrakey-wal-7731", "platypusvalue-wal-9920"
		hashKey, field, hashVal = "quokkahash-wal-4410", "wombatfield-wal-5521", "narwhalhval-wal-6632"
		listKey, elem1, elem2   = "axolotllist-wal-8843", "pangolinelem-wal-1177", "okapielem-wal-2288"
		txKey, txVal            = "capybaratx-wal-3399", "tapirtxval-wal-4400"
	)
	secrets := []string{strKey, strVal, hashKey, field, hashVal, listKey, elem1, elem2, txKey, txVal, n.secret}
	rdb := n.client(1)
	tNoErr(t, "SET", rdb.Set(tCtx, strKey, strVal, 0).Err())
	tNoErr(t, "HSET", rdb.HSet(tCtx, hashKey, field, hashVal).Err())
	tNoErr(t, "RPUSH", rdb.RPush(tCtx, listKey, elem1, elem2).Err())
	_, err := rdb.TxPipelined(tCtx, func(p redis.Pipeliner) error {
		p.Set(tCtx, txKey, txVal, 0)
		return nil
	})
	tNoErr(t, "MULTI", err)
	rdb.Close()
	n.kill9()

	if got := n.allFrames(); got < 4 {
		t.Fatalf("%d frames in the log, want the 4 writes there", got)
	}
	if files := wNoPlaintext(t, n.dir, secrets); files < 2 {
		t.Errorf("only %d files in %s", files, n.dir)
	}

	n.start()
	rdb = n.client(1)
	tEq(t, "GET after replay", rdb.Get(tCtx, strKey).Val(), strVal)
	tEq(t, "HGET after replay", rdb.HGet(tCtx, hashKey, field).Val(), hashVal)
	tEq(t, "LRANGE after replay", rdb.LRange(tCtx, listKey, 0, -1).Val(), []string{elem1, elem2})
	tEq(t, "GET (tx) after replay", rdb.Get(tCtx, txKey).Val(), txVal)
	rdb.Close()
	n.term()
	wNoPlaintext(t, n.dir, secrets)
}

func TestWALDeletedDatabaseShredded(t *testing.T) {
	n := wSetup(t)
	n.start()
	id := n.createDB("shred-me")
	const (
		key, val       = "ibexkey-shred-3141", "marmotvalue-shred-2718"
		hkey, hf, hval = "lemurhash-shred-1618", "dingofield-shred-1414", "civethval-shred-1732"
		lkey, lelem    = "tarsierlist-shred-5772", "serval-elem-shred-6931"
	)
	secrets := []string{key, val, hkey, hf, hval, lkey, lelem, n.secret}
	rdb := n.client(id)
	for i := 0; i < 10; i++ {
		tNoErr(t, "SET", rdb.Set(tCtx, key+strconv.Itoa(i), val, 0).Err())
	}
	tNoErr(t, "HSET", rdb.HSet(tCtx, hkey, hf, hval).Err())
	tNoErr(t, "RPUSH", rdb.RPush(tCtx, lkey, lelem).Err())
	tEq(t, "DBSIZE before the delete", rdb.DBSize(tCtx).Val(), 12)
	rdb.Close()
	dbFile := storage.FilePath(n.dir, id)
	if _, err := os.Stat(dbFile); !errors.Is(err, fs.ErrNotExist) {
		// Nothing is flushed under --flush-interval 1h: the writes are in the log alone,
		// and a database's file is made by its first flush.
		t.Fatalf("the database's file before any flush: %v, want none", err)
	}
	framesBefore := n.allFrames()
	if framesBefore < 12 {
		t.Fatalf("%d frames in the log, want the 12 writes there", framesBefore)
	}
	var ok bool
	n.rpc("herodb_deleteDatabase", []any{id}, &ok)
	tEq(t, "deleteDatabase", ok, true)
	n.kill9()

	n.start()
	st := n.replayed()
	skipped, _ := strconv.Atoi(st["skipped_deleted"])
	frames, _ := strconv.Atoi(st["frames"])
	if skipped == 0 && frames != 0 {
		t.Errorf("log replayed: skipped_deleted=%d with %d frames retained; want the deleted database's frames skipped (or gone)", skipped, frames)
	}
	tEq(t, "log replayed: kept (pinned databases)", st["kept"], "0")
	if _, err := os.Stat(dbFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s after the restart: %v, want it gone", dbFile, err)
	}
	c := tDial(t, n.addr)
	tEq(t, "AUTH", c.do("AUTH", n.secret), tOK)
	for _, sel := range []string{strconv.FormatUint(id, 10), "shred-me"} {
		if rep := c.do("SELECT", sel); !strings.HasPrefix(rep, "-") {
			t.Errorf("SELECT %s of the deleted database: %q, want an error", sel, rep)
		}
	}
	if err := n.rpcErr("herodb_getDatabaseInfo", []any{id}, nil); err == nil {
		t.Errorf("getDatabaseInfo of the deleted database: no error")
	}
	wNoPlaintext(t, n.dir, secrets)
	n.term()
	wNoPlaintext(t, n.dir, secrets)
}

func TestWALManyDatabasesRecoverInGroups(t *testing.T) {
	n := wSetup(t)
	// The first run keeps every file open, so at the kill every change is only in the log;
	// the restarts open at most 2 files at once and so replay in 3 groups.
	n.start("--max-open-dbs", "16")
	ids := make([]uint64, 5)
	for i := range ids {
		ids[i] = n.createDB("group-" + strconv.Itoa(i))
	}
	clients := make([]*redis.Client, len(ids))
	for i, id := range ids {
		clients[i] = n.client(id)
	}
	key := func(db, k int) string { return fmt.Sprintf("g%d:k%d", db, k) }
	val := func(db, k int) string { return fmt.Sprintf("db%d-value-%d", db, k) }
	const perDB = 20
	write := func(from, to int) {
		t.Helper()
		for k := from; k < to; k++ { // interleaved: each replay group skips the others' frames
			for i, rdb := range clients {
				tNoErr(t, "SET", rdb.Set(tCtx, key(i, k), val(i, k), 0).Err())
			}
		}
		for _, rdb := range clients {
			rdb.Close()
		}
	}
	check := func(upto int) {
		t.Helper()
		for i, id := range ids {
			rdb := n.client(id)
			for k := 0; k < upto; k++ {
				if v, err := rdb.Get(tCtx, key(i, k)).Result(); err != nil || v != val(i, k) {
					t.Fatalf("database %d, %s: %q, %v", id, key(i, k), v, err)
				}
			}
			tEq(t, fmt.Sprintf("DBSIZE of database %d", id), rdb.DBSize(tCtx).Val(), upto)
			rdb.Close()
		}
	}
	write(0, perDB)
	n.kill9()
	tEq(t, "frames in the log", n.allFrames(), len(ids)*perDB)

	n.start("--max-open-dbs", "2")
	st := n.replayed()
	tEq(t, "log replayed: databases", st["databases"], len(ids))
	tEq(t, "log replayed: applied", st["applied"], len(ids)*perDB)
	tEq(t, "log replayed: kept", st["kept"], "0")
	check(perDB)

	// Now with the bound in force while writing too (files flushed and closed on eviction).
	for i, id := range ids {
		clients[i] = n.client(id)
	}
	write(perDB, 2*perDB)
	n.kill9()
	n.start("--max-open-dbs", "2")
	tEq(t, "log replayed: kept", n.replayed()["kept"], "0")
	check(2 * perDB)
}

// TestWALKillSkipsHeldDatabases: after a kill -9, a database whose file took all its
// frames long enough before (DB 0's rollback counter, written every 5 s, says so) is not
// opened by the replay; one written just before the kill is; both hold every write.
func TestWALKillSkipsHeldDatabases(t *testing.T) {
	n := wSetup(t)
	n.start("--flush-interval", "100ms")
	idle, busy := n.createDB("held-idle"), n.createDB("held-busy")
	write := func(id uint64, prefix string) {
		t.Helper()
		rdb := n.client(id)
		defer rdb.Close()
		for i := 0; i < 20; i++ {
			tNoErr(t, "SET", rdb.Set(tCtx, prefix+strconv.Itoa(i), "v"+strconv.Itoa(i), 0).Err())
		}
	}
	write(idle, "idle:")
	time.Sleep(6500 * time.Millisecond) // flushed, and the counter written (every 5 s)
	write(busy, "busy:")
	n.kill9()

	n.start("--flush-interval", "100ms")
	st := n.replayed()
	held, _ := strconv.Atoi(st["held"])
	opened, _ := strconv.Atoi(st["databases"])
	if held < 1 || held+opened != 2 {
		t.Fatalf("log replayed: held=%s databases=%s; want the idle database held (not opened) and the two accounted for (%v)",
			st["held"], st["databases"], st)
	}
	tEq(t, "log replayed: kept", st["kept"], "0")
	for _, c := range []struct {
		id     uint64
		prefix string
	}{{idle, "idle:"}, {busy, "busy:"}} {
		rdb := n.client(c.id)
		for i := 0; i < 20; i++ {
			if v, err := rdb.Get(tCtx, c.prefix+strconv.Itoa(i)).Result(); err != nil || v != "v"+strconv.Itoa(i) {
				t.Fatalf("%s%d after the kill: %q, %v", c.prefix, i, v, err)
			}
		}
		rdb.Close()
	}
}

// TestWALKillWhileFirstFilesWait: 800 databases get their first write, from 16 clients,
// through a cache of 4, so evicted ones wait for a file maker (storage.FileMakers at a
// time; as many as the cache holds, the rest made at once) when the kill -9 comes right
// after the last acknowledged write. Every write is there after the restart: the log
// held what no file did yet.
func TestWALKillWhileFirstFilesWait(t *testing.T) {
	n := wSetup(t)
	n.start("--max-open-dbs", "4")
	var ids []uint64
	n.rpc("herodb_createDatabases", []any{800}, &ids)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := n.client(ids[w]).Conn() // one connection, SELECT by SELECT: fast enough to outrun the makers
			defer conn.Close()
			for i := w; i < len(ids); i += 16 {
				if err := conn.Do(tCtx, "SELECT", ids[i]).Err(); err != nil {
					t.Errorf("SELECT %d: %v", ids[i], err)
					return
				}
				if err := conn.Set(tCtx, "k", "v"+strconv.Itoa(i), 0).Err(); err != nil {
					t.Errorf("SET in database %d: %v", ids[i], err)
				}
			}
		}()
	}
	wg.Wait()
	n.kill9()
	n.start("--max-open-dbs", "4")
	st := n.replayed()
	tEq(t, "log replayed: kept", st["kept"], "0")
	t.Logf("replayed into databases whose file was not made yet, or not flushed: applied=%s of frames=%s", st["applied"], st["frames"])
	for i, id := range ids {
		rdb := n.client(id)
		if v, err := rdb.Get(tCtx, "k").Result(); err != nil || v != "v"+strconv.Itoa(i) {
			t.Fatalf("database %d after the kill: %q, %v", id, v, err)
		}
		rdb.Close()
	}
}
