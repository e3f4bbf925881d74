package storage

// The record cache: key records read from database files, kept in memory so that a read
// of a key the file holds skips bbolt's B+tree walk. A profile of GET -P 16 (50 clients,
// 100,000 keys flushed into the file) put bbolt's Get at 22% of the server's CPU, most of
// it misses on the mapped pages (the first touch of each page, then the key compares);
// a map lookup costs a fraction of that.
//
// Entries are valid for one state of one file: the state a bbolt read transaction sees,
// named by the file's handle and the transaction id of its last commit (every commit, a
// flush or anything else, advances it). A reader whose transaction sees that state uses
// the entries; the first reader to see a later state starts an empty cache for it. So
// no commit can leave a stale entry, and a cached record is always what bbolt's Get
// would have returned in the same transaction. Records stay sealed, as on disk. Only
// read-only transactions (View) use and fill it; the committer reads the file as before.
//
// A flush is the one commit whose changes are known: its layer. Once it has committed,
// it carries the cache of the state before it over to the state it made, without the
// key records its layer wrote (carry). Without that, a database written all the time
// started its cache over at every flush, once a second, and served few reads from it.

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

const (
	// recKeyLen is the length of a key record's key: the name's keyed digest. Other
	// lookups are not cached.
	recKeyLen = 32
	// recMax is the largest record cached (a key record holding a small string is up to
	// about 600 bytes).
	recMax = 2 << 10
	// recOverhead is what an entry is counted besides the arena: its key, its place in
	// the arena and the map's share.
	recOverhead = 64
	// recMinShare is the least one database's cache may hold, whatever the node's bound.
	recMinShare = 1 << 20
	// Records are appended into the last piece of a shard's arena, and a record that
	// does not fit starts the next, twice the size of the one before from recPiece0 up
	// to recChunk (the arena never moves what it holds, and a cache of a few records
	// holds a few KiB: a thousand open databases each read once must not take a piece
	// of recChunk per shard each). The bound counts the pieces' whole size.
	recPiece0    = 1 << 10
	recChunkBits = 16
	recChunk     = 1 << recChunkBits
	// recShards is how many independently locked parts a cache has, chosen by the
	// digest's first byte: an addition takes one part's lock, not the readers' of all.
	recShards = 16
)

// RecordCache bounds the memory of every database's record cache together, and counts
// their hits and misses for INFO. A database's cache holds at most its fair share, the
// bound over the databases whose caches hold anything (so one tenant alone may use it
// all, and sixteen get a sixteenth each). A cache that is full takes nothing more until
// its state is replaced (a commit other than a flush), its hit rate falls under half its
// best (count), or its database closes: then its memory goes back. Adding costs more
// than a lookup saves (a copy, a map insert, the lock), so a full cache keeps what it
// holds rather than start over: with a million keys read at random and room for a
// quarter of them, a cache that started over when full served 18% of GET -P 16 from
// memory and cost 40% more CPU per GET than none.
type RecordCache struct {
	limit  int64
	used   atomic.Int64
	active atomic.Int64 // caches holding entries
	hits   atomic.Uint64
	misses atomic.Uint64
}

// NewRecordCache makes a bound of limit bytes; limit <= 0 gives nil, which caches nothing.
func NewRecordCache(limit int64) *RecordCache {
	if limit <= 0 {
		return nil
	}
	return &RecordCache{limit: limit}
}

// RecordCacheStats is what INFO reports of the record cache.
type RecordCacheStats struct {
	Limit, Used  int64
	Hits, Misses uint64
}

// Stats reports the bound, the bytes held and the lookups served from memory and from
// the files since start; zero for nil.
func (rc *RecordCache) Stats() RecordCacheStats {
	if rc == nil {
		return RecordCacheStats{}
	}
	return RecordCacheStats{Limit: rc.limit, Used: rc.used.Load(), Hits: rc.hits.Load(), Misses: rc.misses.Load()}
}

// share is the most one database's cache may hold.
func (rc *RecordCache) share() int64 {
	return max(rc.limit/max(rc.active.Load(), 1), min(rc.limit, recMinShare))
}

// take counts n bytes against the bound; false (nothing counted) if they do not fit.
func (rc *RecordCache) take(n int64) bool {
	if rc.used.Add(n) > rc.limit {
		rc.used.Add(-n)
		return false
	}
	return true
}

// recSpan is where an entry's record lies in its shard's arena: the piece
// (off>>recChunkBits) and the offset in it; off absentOff records that the file holds
// no such key.
type recSpan struct{ off, n uint32 }

const absentOff = ^uint32(0)

// recCache is one database's cache for one state of its file.
type recCache struct {
	node  *RecordCache
	file  *bolt.DB
	epoch uint64 // the transaction id of the state it holds

	used   atomic.Int64 // counted against node
	full   atomic.Bool  // no more additions
	dead   atomic.Bool  // replaced or closed: takes no more entries
	shards [recShards]recShard

	// A full cache's hit rate, by windows of recWindow lookups (count): lookups and hits
	// in the window under way, and the best window's hits.
	db                 *DB
	win, winHits, best atomic.Int64
}

// recShard is one part of a cache. Records are appended to its arena and never moved or
// overwritten there: a slice handed to a reader stays valid, as a reader may keep it
// past the lookup.
type recShard struct {
	mu    sync.RWMutex
	m     map[[recKeyLen]byte]recSpan
	arena [][]byte // pieces of recPiece0 to recChunk bytes
	live  int64    // bytes of the arena its entries still point to (carry drops some)
}

// records returns the record cache valid for btx's view of the file, or nil: no cache
// configured, no file yet, the database closing, or btx older than the state cached.
func (db *DB) records(btx *bolt.Tx) *recCache {
	node := db.opts.Records
	if node == nil || btx == nil {
		return nil
	}
	file, epoch := btx.DB(), uint64(btx.ID())
	for {
		c := db.recs.Load()
		if c != nil && c.file == file {
			if c.epoch == epoch {
				return c
			}
			if c.epoch > epoch {
				return nil // a transaction begun before the last commit: read the file
			}
		}
		n := &recCache{node: node, file: file, epoch: epoch, db: db}
		if !db.replaceRecords(c, n) {
			continue
		}
		if db.recsOff.Load() {
			return nil // Close ran meanwhile and took n back out
		}
		return n
	}
}

// replaceRecords makes n the database's cache in place of old (nil: none), which it
// drops; false, with nothing changed, if the cache is no longer old. Every cache is
// installed here: when Close ran meanwhile, whoever unlinks n gives its memory back.
func (db *DB) replaceRecords(old, n *recCache) bool {
	if !db.recs.CompareAndSwap(old, n) {
		return false
	}
	old.drop()
	if db.recsOff.Load() && db.recs.CompareAndSwap(n, nil) {
		n.drop()
	}
	return true
}

// dropRecords gives back the cache's memory at Close; no cache is made after it.
func (db *DB) dropRecords() {
	db.recsOff.Store(true)
	db.recs.Swap(nil).drop()
}

// get is bb.Get(k) for a key record, from the cache when it holds k.
func (c *recCache) get(bb *bolt.Bucket, k []byte) []byte {
	var key [recKeyLen]byte
	copy(key[:], k)
	sh := &c.shards[key[0]%recShards]
	sh.mu.RLock()
	s, ok := sh.m[key]
	var rec []byte
	if ok && s.off != absentOff {
		p, o := s.off>>recChunkBits, s.off&(recChunk-1)
		rec = sh.arena[p][o : o+s.n : o+s.n] // the bytes never change; the piece's header may
	}
	sh.mu.RUnlock()
	if ok {
		c.node.hits.Add(1)
	} else {
		c.node.misses.Add(1)
	}
	if c.full.Load() {
		c.count(ok)
	}
	if ok {
		return rec
	}
	v := bb.Get(k)
	if !c.full.Load() {
		c.put(sh, &key, v)
	}
	return v
}

// recWindow is how many lookups of a full cache make one window of its hit rate.
const recWindow = 1 << 13

// count adds a full cache's lookup to its window. At the end of each window the window's
// hits are compared with the best window's: a cache serving under half as many as it did
// holds a working set the readers left (a full cache takes nothing new, and a flush
// carries it over), so it starts over, empty, for the same state. A cache whose rate is
// low from the start (keys read at random from many more than it holds) keeps its
// entries: starting over cannot raise that rate, and costs the additions.
func (c *recCache) count(hit bool) {
	if hit {
		c.winHits.Add(1)
	}
	if c.win.Add(1) != recWindow {
		return
	}
	h := c.winHits.Swap(0)
	c.win.Store(0)
	best := c.best.Load()
	if h > best {
		c.best.Store(h)
		return
	}
	if 2*h < best {
		// Start over: an empty cache for the same state, if c is still the database's.
		c.db.replaceRecords(c, &recCache{node: c.node, file: c.file, epoch: c.epoch, db: c.db})
	}
}

// put adds to sh a record read from the file (nil: none there), unless it does not fit
// the database's share or the node's bound: then the cache is full.
func (c *recCache) put(sh *recShard, key *[recKeyLen]byte, v []byte) {
	if len(v) > recMax {
		return
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if c.dead.Load() {
		return
	}
	if _, ok := sh.m[*key]; ok {
		return // another reader put it meanwhile
	}
	cost, piece := int64(recOverhead), 0
	last := len(sh.arena) - 1
	if v != nil && (last < 0 || len(sh.arena[last])+len(v) > cap(sh.arena[last])) {
		if len(sh.arena) == 1<<(32-recChunkBits)-1 {
			c.full.Store(true) // no room for another piece
			return
		}
		piece = recPiece0
		if last >= 0 {
			piece = min(2*cap(sh.arena[last]), recChunk)
		}
		piece = max(piece, len(v)) // recMax is below recChunk
		cost += int64(piece)
	}
	if c.used.Load()+cost > c.node.share() || !c.node.take(cost) {
		c.full.Store(true)
		return
	}
	if c.used.Add(cost) == cost {
		c.node.active.Add(1) // the first entry
	}
	if sh.m == nil {
		sh.m = map[[recKeyLen]byte]recSpan{}
	}
	if v == nil {
		sh.m[*key] = recSpan{off: absentOff}
		return
	}
	if piece > 0 {
		sh.arena = append(sh.arena, make([]byte, 0, piece))
		last++
	}
	off := len(sh.arena[last])
	sh.arena[last] = append(sh.arena[last], v...) // within its capacity: never moves
	sh.live += int64(len(v))
	sh.m[*key] = recSpan{off: uint32(last)<<recChunkBits | uint32(off), n: uint32(len(v))}
}

// drop retires c (nil: nothing) and gives its memory back to the node's bound. Readers
// still holding it keep reading what it holds and add nothing.
func (c *recCache) drop() {
	if c == nil {
		return
	}
	// Every addition checks dead under its shard's lock, so once each lock has been
	// taken after dead is set, used no longer grows.
	if c.dead.Swap(true) {
		return
	}
	for i := range c.shards {
		c.shards[i].mu.Lock()
		c.shards[i].mu.Unlock() // a barrier: an addition under way has finished
	}
	if n := c.used.Swap(0); n > 0 {
		c.node.used.Add(-n)
		c.node.active.Add(-1)
	}
}

// carryRecords follows a flush's commit, txid, of layer f: the cache of the state before
// it (prev, taken before the commit) becomes the cache of the state it made, without the
// key records f changed. Nothing is carried when prev is not the state just before the
// commit, when f deletes a range of keys (FLUSHDB, a big DEL), when its entries point to
// less than half of the bytes written into its arena (it starts over instead of holding
// dead bytes), or when its memory no longer fits the bound.
func (db *DB) carryRecords(prev *recCache, txid uint64, f *layer) {
	if prev == nil || prev.file != db.bolt || prev.epoch+1 != txid {
		return
	}
	// prev takes no more entries from here on, so what it holds can be copied.
	prev.drop()
	keysSpan := false
	f.spans.Scan(func(sp span) bool {
		keysSpan = keysSpan || sp.b == bKeys
		return !keysSpan
	})
	if keysSpan {
		return
	}
	n := &recCache{node: prev.node, file: prev.file, epoch: txid, db: db}
	n.best.Store(prev.best.Load()) // the same entries: the same rate to fall from
	var arena, written, live int64
	for i := range prev.shards {
		// A barrier: an addition that began before prev was dropped has ended, and none
		// begins after (each checks under the lock), so prev's shards no longer change
		// and are copied without holding up its readers.
		prev.shards[i].mu.Lock()
		prev.shards[i].mu.Unlock()
	}
	for i := range prev.shards {
		from, to := &prev.shards[i], &n.shards[i]
		if from.m != nil {
			to.m = maps.Clone(from.m)
		}
		to.arena = slices.Clone(from.arena) // the pieces are shared; their headers are not
		to.live = from.live
		for _, p := range to.arena {
			arena, written = arena+int64(cap(p)), written+int64(len(p))
		}
	}
	var key [recKeyLen]byte
	f.t.Ascend(keyItem(bKeys, nil), func(it item) bool {
		if it.b != bKeys {
			return false
		}
		if len(it.c.k) != recKeyLen {
			return true
		}
		copy(key[:], it.c.k)
		sh := &n.shards[key[0]%recShards]
		if sp, ok := sh.m[key]; ok {
			delete(sh.m, key)
			if sp.off != absentOff {
				sh.live -= int64(sp.n)
			}
		}
		return true
	})
	entries := 0
	for i := range n.shards {
		entries += len(n.shards[i].m)
		live += n.shards[i].live
	}
	cost := arena + int64(entries)*recOverhead
	if entries == 0 || 2*live < written || cost > n.node.share() || !n.node.take(cost) {
		return
	}
	n.used.Store(cost)
	n.node.active.Add(1)
	// n takes the place of prev (dropped already) or of a readers' cache of the new
	// state begun before it, never of a later state's.
	for {
		c := db.recs.Load()
		if c != nil && c != prev && (c.file != n.file || c.epoch != txid) {
			n.drop()
			return
		}
		if db.replaceRecords(c, n) {
			return
		}
	}
}
