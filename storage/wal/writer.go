package wal

import (
	"fmt"
	"time"
)

// run is the writer goroutine: it takes every frame appended since its last pass as one
// batch, writes it with one write(2) per segment touched and, for SyncAlways, covers it
// with one fdatasync before waking the batch's waiters. This is the group commit: the
// more appenders wait, the more frames each write and sync carries.
func (l *Log) run() {
	defer func() {
		l.mu.Lock()
		l.stopped = true
		l.cond.Broadcast()
		l.mu.Unlock()
		close(l.exited)
	}()
	var tick <-chan time.Time
	if l.mode == SyncEverySec {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		ticked := false
		select {
		case <-l.kick:
		case <-tick:
			ticked = true
		}
		for {
			wrote, exit := l.step(ticked)
			if exit {
				return
			}
			if !wrote {
				break
			}
			ticked = false
		}
	}
}

// step writes the pending batch, if any, then fsyncs when the sync mode, the ticker, a
// WaitDurable caller or Close asks for it. wrote says a batch was taken (more may have
// arrived meanwhile); exit says Close was called and everything is written.
func (l *Log) step(ticked bool) (wrote, exit bool) {
	l.mu.Lock()
	b := l.cur
	l.cur = nil
	want, closing, err := l.syncWant, l.closing, l.err
	l.mu.Unlock()

	if b != nil {
		if err == nil {
			err = l.write(b)
		}
		if err == nil && l.mode == SyncAlways {
			err = l.sync()
		}
		if err != nil {
			l.fail(err)
		}
		b.err = err
		close(b.done)
		l.recycle(b)
	}
	if err == nil {
		d, w := l.durable.Load(), l.written.Load()
		if w > d && (want > d || ticked || closing) {
			if err = l.sync(); err != nil {
				l.fail(err)
			}
		}
	}
	return b != nil, closing
}

// write writes b's chunks, rotating to a new segment where a chunk says so.
func (l *Log) write(b *batch) error {
	for i := range b.chunks {
		c := &b.chunks[i]
		if c.rotate {
			if err := l.rotate(c.first); err != nil {
				return err
			}
		}
		if err := l.writeAt(c.buf); err != nil {
			return err
		}
		l.mu.Lock()
		l.segs[len(l.segs)-1].size += int64(len(c.buf))
		l.written.Store(c.last)
		l.cond.Broadcast()
		l.mu.Unlock()
	}
	return nil
}

// sync fdatasyncs the active segment and publishes the new durable seq.
func (l *Log) sync() error {
	w := l.written.Load()
	start := time.Now()
	if err := fdatasync(l.f); err != nil {
		return fmt.Errorf("wal: sync %s: %w", l.f.Name(), err)
	}
	l.fsyncs.Add(1)
	l.observeSync(time.Since(start), w-l.durable.Load())
	l.mu.Lock()
	l.durable.Store(w)
	l.cond.Broadcast()
	l.mu.Unlock()
	return nil
}

// rotate fsyncs the active segment, whatever the sync mode, and only then creates the next
// one. Recovery relies on that order: a later segment proves every frame before it was
// durable, so damage there is corruption and never cut off as a torn tail.
func (l *Log) rotate(first uint64) error {
	if l.written.Load() > l.durable.Load() {
		if err := l.sync(); err != nil {
			return err
		}
	}
	// The old segment ends where its frames do: zeros after them would read as damage in
	// a segment that is not the last.
	l.extMu.Lock()
	defer l.extMu.Unlock()
	if err := l.trimActive(); err != nil {
		return err
	}
	f, seg, err := createSegment(l.dir, l.wmac, first)
	if err != nil {
		return err
	}
	old := l.f
	l.f = f
	l.off.Store(segHeaderSize)
	l.alloc.Store(segHeaderSize) // the first frame written into it kicks the extender
	l.mu.Lock()
	l.segs = append(l.segs, *seg)
	l.mu.Unlock()
	if err := old.Close(); err != nil {
		// Its frames are already synced; a failing close loses nothing.
		l.log.Warn("wal: closing a full segment failed", "segment", old.Name(), "err", err)
	}
	l.log.Debug("wal: new segment", "segment", seg.path)
	return nil
}

// fail makes err the log's sticky error: every later Append and WaitDurable returns it.
// After a failed write or fsync the file's state is unknown (a failed fsync may have
// dropped the dirty pages), so the log fails closed rather than retry.
func (l *Log) fail(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
		l.log.Error("wal: log failed; refusing further appends", "err", err)
	}
	l.cond.Broadcast()
	l.mu.Unlock()
}

// recycle keeps b's buffers for later batches, so steady appending allocates only when a
// batch outgrows them.
func (l *Log) recycle(b *batch) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range b.chunks {
		if cap(c.buf) <= maxFreeBuf && len(l.freeBufs) < 4 {
			l.freeBufs = append(l.freeBufs, c.buf[:0])
		}
	}
}
