package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// SyncMode says when Append's wait returns, as Redis's appendfsync.
type SyncMode int

const (
	// SyncAlways: wait returns after an fdatasync that covers the frame.
	SyncAlways SyncMode = iota
	// SyncEverySec: wait returns after write(2); a background fsync runs once a second.
	SyncEverySec
	// SyncNone: wait returns after write(2); fsync is left to the OS (and Close).
	SyncNone
)

// DefaultSegmentSize is the rotation size when Options.SegmentSize is 0: large enough that
// rotation (two fsyncs and a directory fsync) is rare, small enough that Truncate frees
// space soon after the databases flush.
const DefaultSegmentSize = 64 << 20

// ErrClosed is returned by calls on a closed log.
var ErrClosed = errors.New("wal: log is closed")

// Options configure Open; all of the log's settings are here.
type Options struct {
	Dir         string // <datadir>/wal; created 0700, segment files 0600
	Key         []byte // 32-byte MAC key (the caller derives it; never logged)
	Sync        SyncMode
	SegmentSize int64 // rotate after this many bytes; 0 means DefaultSegmentSize
	Recover     RecoverMode
	Logger      *slog.Logger // nil: slog.Default()
}

// Stats describe the log for INFO and logging.
type Stats struct {
	Segments     int           // segment files retained
	Bytes        int64         // bytes in them
	NextSeq      uint64        // seq the next Append gets
	DurableSeq   uint64        // every frame up to this seq is fsynced
	Appended     uint64        // frames appended since Open
	Fsyncs       uint64        // fdatasyncs of frame data since Open (not header/dir syncs)
	FramesAtOpen uint64        // valid frames Open found
	OpenScan     time.Duration // how long Open's scan and repair took
}

// Log is the write-ahead log. Append, WaitDurable, NextSeq, Truncate and Stats are safe
// for concurrent use.
//
// Locking: mu guards the fields below it. The writer goroutine never holds mu across
// write(2), fsync or file creation, so appenders are blocked only for the time it takes to
// encode a frame; truncMu serializes Truncate calls and is taken before mu, never after.
type Log struct {
	dir     string
	mode    SyncMode
	segSize int64
	keys    macKeys
	log     *slog.Logger

	truncMu sync.Mutex

	mu        sync.Mutex
	cond      sync.Cond // on mu: broadcast when written or durable advances, or the writer fails or stops
	enc       *macer    // encodes frames; used under mu
	nextSeq   uint64
	cur       *batch    // frames appended since the writer last took a batch
	segBytes  int64     // size the active segment will have once cur is written
	segFrames bool      // ...and whether it will then hold a frame
	segs      []segment // retained segments in order; the last is active
	syncWant  uint64    // highest seq a WaitDurable caller needs fsynced
	held      uint64    // every frame before it is held elsewhere (the highest Truncate bound)
	err       error     // sticky: the first write or sync failure
	closing   bool      // Close was called: no more appends
	stopped   bool      // the writer has exited
	freeBufs  [][]byte  // written chunk buffers, for reuse
	appended  uint64

	written atomic.Uint64 // highest seq written to the file (stored by the writer only)
	durable atomic.Uint64 // highest seq fsynced (stored by the writer only)
	fsyncs  atomic.Uint64
	onSync  atomic.Pointer[SyncObserver] // observe.go; nil: none

	framesAtOpen uint64
	openScan     time.Duration

	kick   chan struct{} // wakes the writer; capacity 1
	exited chan struct{} // closed when the writer returns
	f      *os.File      // the active segment; the writer's alone after Open (extMu to swap)
	wmac   *macer        // the writer's, for new segment headers
	lock   *os.File      // the locked directory, released by Close

	// Preallocation (prealloc.go): the extender writes zeros ahead of the writer and
	// syncs them, so a frame overwrites blocks that already exist and an fdatasync has
	// no file size or block map to journal.
	off     atomic.Int64 // logical end of the active segment (the writer's)
	extMu   sync.Mutex   // held by the extender while it extends; by the writer to write past alloc, or rotate
	alloc   atomic.Int64 // zeros are written and synced below this (stored under extMu)
	extKick chan struct{}
	extStop chan struct{}
	extDone chan struct{}
}

// batch is what the writer takes in one go: every frame appended while it was busy.
type batch struct {
	chunks []chunk
	done   chan struct{} // closed once the batch is written (and, for SyncAlways, synced)
	err    error         // set before done is closed
	wait   func() error  // shared by every Append in the batch, so Append allocates no closure
}

// chunk is a run of frames for one segment; rotate says it starts a new segment.
type chunk struct {
	rotate bool
	first  uint64
	last   uint64
	buf    []byte
}

func newBatch() *batch {
	b := &batch{done: make(chan struct{})}
	b.wait = func() error {
		<-b.done
		return b.err
	}
	return b
}

// maxFreeBuf bounds the buffers kept for reuse, so one huge frame does not pin its memory.
const maxFreeBuf = 4 << 20

// Open scans the segments, validates every frame, truncates a torn tail (before anything
// is appended), and returns a Log ready to append after the highest sequence number.
func Open(opts Options) (*Log, error) {
	if len(opts.Key) != 32 {
		return nil, fmt.Errorf("wal: key is %d bytes, want 32", len(opts.Key))
	}
	if opts.Dir == "" {
		return nil, errors.New("wal: no directory")
	}
	if opts.Sync < SyncAlways || opts.Sync > SyncNone {
		return nil, fmt.Errorf("wal: unknown sync mode %d", opts.Sync)
	}
	if opts.SegmentSize < 0 {
		return nil, fmt.Errorf("wal: negative segment size %d", opts.SegmentSize)
	}
	l := &Log{
		dir:     opts.Dir,
		mode:    opts.Sync,
		segSize: opts.SegmentSize,
		keys:    deriveKeys(opts.Key),
		log:     opts.Logger,
		kick:    make(chan struct{}, 1),
		exited:  make(chan struct{}),
		extKick: make(chan struct{}, 1),
		extStop: make(chan struct{}),
		extDone: make(chan struct{}),
	}
	if l.segSize == 0 {
		l.segSize = DefaultSegmentSize
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.cond.L = &l.mu
	l.enc = newMacer(l.keys)
	l.wmac = newMacer(l.keys)

	start := time.Now()
	if err := makeDir(opts.Dir); err != nil {
		return nil, err
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	l.lock = lock
	ok := false
	defer func() {
		if !ok {
			lock.Close()
		}
	}()
	segs, next, frames, err := recoverLog(opts.Dir, newMacer(l.keys), opts.Recover, l.log)
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		f, seg, err := createSegment(opts.Dir, l.enc, next)
		if err != nil {
			return nil, err
		}
		l.f, segs = f, []segment{*seg}
	} else {
		active := segs[len(segs)-1]
		f, err := os.OpenFile(active.path, os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
		// What Open read may only be in the page cache (a process crash under SyncNone);
		// sync it so that it counts as durable from here on. Older segments were synced
		// before their successors were created.
		if err := fdatasync(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("wal: sync %s: %w", active.path, err)
		}
		l.f = f
	}
	l.segs = segs
	active := segs[len(segs)-1]
	l.segBytes, l.segFrames = active.size, active.size > segHeaderSize
	l.nextSeq = next
	l.written.Store(next - 1)
	l.durable.Store(next - 1)
	l.framesAtOpen, l.openScan = frames, time.Since(start)
	l.log.Info("wal: opened", "dir", opts.Dir, "segments", len(segs), "frames", frames,
		"next_seq", next, "scan", l.openScan)
	ok = true
	l.off.Store(active.size)
	l.alloc.Store(active.size) // recovery cut any tail: the file ends where the log does
	if l.mode == SyncAlways {
		// Only SyncAlways syncs after every batch, which is what preallocation makes
		// cheaper; under EverySec or None a sync journals the new size once a second at
		// most, so writing and syncing 1 MiB of zeros ahead buys nothing. The first chunk
		// is written after the first frame (writeAt kicks the extender), not here: a log
		// opened and closed without a frame costs no zeros and no sync.
		go l.extend()
	} else {
		close(l.extDone)
	}
	go l.run()
	return l, nil
}

// makeDir creates the log directory 0700, making a new directory's entry durable too.
func makeDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return syncDir(parentDir(dir))
}

func parentDir(dir string) string {
	for i := len(dir) - 1; i > 0; i-- {
		if os.IsPathSeparator(dir[i]) {
			return dir[:i]
		}
	}
	return "."
}

// Append writes one frame holding parts (a frame may span databases) and returns its
// sequence number and a wait function. Frames from concurrent callers are grouped: one
// write(2) and (SyncAlways) one fdatasync covers every frame appended meanwhile. wait
// blocks until the frame is durable per the sync mode and returns the write or sync error
// if any; after such an error the log refuses further appends with it (fail closed).
// Sequence numbers follow Append call order, strictly increasing, never reused.
func (l *Log) Append(parts []Part) (seq uint64, wait func() error) {
	n, err := bodySize(parts)
	if err != nil {
		return 0, failed(err)
	}
	l.mu.Lock()
	if l.err != nil || l.closing {
		err := l.err
		if err == nil {
			err = ErrClosed
		}
		l.mu.Unlock()
		return 0, failed(err)
	}
	seq = l.nextSeq
	l.nextSeq++
	b := l.cur
	first := b == nil
	if first {
		b = newBatch()
		l.cur = b
	}
	// Rotation is decided here, where frames get their place, so the writer never has to
	// split a buffer and a frame never spans two segments.
	rotate := l.segFrames && l.segBytes >= l.segSize
	if rotate || len(b.chunks) == 0 {
		b.chunks = append(b.chunks, chunk{rotate: rotate, first: seq, buf: l.takeBuf()})
		if rotate {
			l.segBytes = segHeaderSize
		}
	}
	c := &b.chunks[len(b.chunks)-1]
	c.buf = l.enc.appendFrame(c.buf, seq, l.durable.Load(), parts, n)
	c.last = seq
	l.segBytes += int64(frameOverhead + n)
	l.segFrames = true
	l.appended++
	l.mu.Unlock()
	if first {
		l.wake()
	}
	return seq, b.wait
}

func failed(err error) func() error { return func() error { return err } }

// takeBuf returns a reusable buffer; called with mu held.
func (l *Log) takeBuf() []byte {
	if k := len(l.freeBufs); k > 0 {
		buf := l.freeBufs[k-1]
		l.freeBufs = l.freeBufs[:k-1]
		return buf
	}
	return nil
}

func (l *Log) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// WaitDurable returns once every frame with sequence <= seq is fsynced, forcing an
// fdatasync if needed whatever the sync mode. The storage layer calls it before recording
// "applied through seq" in a database file, so no file can be ahead of the durable log.
func (l *Log) WaitDurable(seq uint64) error {
	if l.durable.Load() >= seq {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq >= l.nextSeq {
		return fmt.Errorf("wal: WaitDurable(%d): no such frame yet (next seq is %d)", seq, l.nextSeq)
	}
	if seq > l.syncWant {
		l.syncWant = seq
	}
	l.wake()
	for l.durable.Load() < seq {
		if l.err != nil {
			return l.err
		}
		if l.stopped {
			return ErrClosed
		}
		l.cond.Wait()
	}
	return nil
}

// NextSeq is the sequence number the next Append will get.
func (l *Log) NextSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nextSeq
}

// Truncate deletes every segment all of whose frames have seq < before, oldest first, so
// that a crash part way leaves a contiguous run of segments. It never deletes the active
// (last) segment, whose header keeps the high-water mark. Safe to call concurrently with
// Append.
func (l *Log) Truncate(before uint64) error {
	l.truncMu.Lock()
	defer l.truncMu.Unlock()
	l.mu.Lock()
	l.held = max(l.held, before)
	l.mu.Unlock()
	for {
		l.mu.Lock()
		// segs[0]'s frames end just before segs[1] begins.
		if len(l.segs) < 2 || l.segs[1].first > before {
			l.mu.Unlock()
			return nil
		}
		path := l.segs[0].path
		l.mu.Unlock()
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("wal: %w", err)
		}
		// Make each removal durable before the next, so the survivors stay contiguous.
		if err := syncDir(l.dir); err != nil {
			return err
		}
		l.mu.Lock()
		l.segs = append(l.segs[:0:0], l.segs[1:]...)
		l.mu.Unlock()
		l.log.Debug("wal: deleted segment", "segment", path)
	}
}

// retireHeld, at Close, starts an empty segment at the next sequence number and deletes
// every older one when Truncate was told that every frame in them is held elsewhere (the
// files hold them all after a clean stop). The next Open then has nothing to replay,
// and the new segment's header keeps the high-water mark. A crash part way leaves the
// old segments with the empty one after them, which replays as before. The writer and
// the extender have stopped.
func (l *Log) retireHeld() error {
	l.mu.Lock()
	next, held, failed := l.nextSeq, l.held, l.err != nil
	active := l.segs[len(l.segs)-1]
	l.mu.Unlock()
	if failed || held < next || active.first >= next {
		return nil // frames the files may lack, or none at all
	}
	f, seg, err := createSegment(l.dir, l.wmac, next)
	if err != nil {
		return err
	}
	if err := l.f.Close(); err != nil {
		l.log.Warn("wal: closing a retired segment failed", "segment", l.f.Name(), "err", err)
	}
	l.f = f
	l.mu.Lock()
	l.segs = append(l.segs, *seg)
	l.mu.Unlock()
	return l.Truncate(next)
}

// Stats returns counters for INFO and logging.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Stats{
		Segments:     len(l.segs),
		NextSeq:      l.nextSeq,
		DurableSeq:   l.durable.Load(),
		Appended:     l.appended,
		Fsyncs:       l.fsyncs.Load(),
		FramesAtOpen: l.framesAtOpen,
		OpenScan:     l.openScan,
	}
	for _, s := range l.segs {
		st.Bytes += s.size
	}
	return st
}

// Close writes and fsyncs what was appended, stops the writer and closes the active
// segment. It returns the log's write or sync error, if any.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		<-l.exited
		return ErrClosed
	}
	l.closing = true
	l.mu.Unlock()
	l.wake()
	<-l.exited
	close(l.extStop) // read only by the extender, which may not run (Open)
	<-l.extDone
	err := l.trimActive()
	if err == nil {
		err = l.retireHeld()
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.lock.Close() // releases the directory lock
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}
