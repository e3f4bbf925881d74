package server

import (
	"fmt"
	"testing"
	"time"
)

// The cache keeps at most scriptsPerDB scripts per database, dropping the least
// recently used, and drops a deleted database's scripts at a sweep.
func TestScriptCacheBounds(t *testing.T) {
	sc := newScriptCache()
	first, msg := sc.load(1, []byte("return 0"), nil)
	if msg != "" {
		t.Fatal(msg)
	}
	for i := 1; i <= scriptsPerDB; i++ {
		if i == scriptsPerDB/2 {
			sc.get(1, first.sha) // used: it stays
		}
		if _, msg := sc.load(1, fmt.Appendf(nil, "return %d", i), nil); msg != "" {
			t.Fatal(msg)
		}
	}
	if n := sc.count(1); n != scriptsPerDB {
		t.Errorf("scripts kept: %d, want %d", n, scriptsPerDB)
	}
	if sc.get(1, first.sha) == nil {
		t.Error("a recently used script was dropped")
	}
	if sc.get(1, scriptSHA([]byte("return 1"))) != nil {
		t.Error("the least recently used script was kept")
	}
	if _, msg := sc.load(2, []byte("return 'b'"), nil); msg != "" {
		t.Fatal(msg)
	}
	if sc.get(2, first.sha) != nil {
		t.Error("database 2 sees database 1's script")
	}
	sc.swept = time.Time{}
	if _, msg := sc.load(2, []byte("return 'c'"), func(id uint64) bool { return id != 1 }); msg != "" {
		t.Fatal(msg)
	}
	if n := sc.count(1); n != 0 {
		t.Errorf("a deleted database kept %d scripts", n)
	}
	if n := sc.count(2); n != 2 {
		t.Errorf("a live database kept %d scripts, want 2", n)
	}
	if sc.bytes <= 0 || sc.all.Len() != 2 {
		t.Errorf("node totals: %d bytes, %d scripts", sc.bytes, sc.all.Len())
	}
}
