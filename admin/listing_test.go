package admin

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/seed6aa118f9/herodb/storage"
)

// walkAll pages through ListDatabases with limit, checking each page against the scan
// bound, and returns the ids seen in order and the number of pages.
func walkAll(t *testing.T, a *Admin, limit int) (ids []uint64, pages, empty int) {
	t.Helper()
	var after uint64
	for {
		page, next, more, err := a.ListDatabases(after, limit)
		if err != nil {
			t.Fatalf("ListDatabases(%d, %d): %v", after, limit, err)
		}
		pages++
		if len(page) > limit {
			t.Fatalf("page after %d holds %d databases, limit %d", after, len(page), limit)
		}
		if len(page) == 0 {
			empty++
		}
		if scan := uint64(max(limit*listScanPerLimit, listScanMin)); next-after > scan {
			t.Fatalf("page after %d scanned up to %d: more than %d ids", after, next, scan)
		}
		for _, l := range page {
			if l.ID <= after || l.ID > next {
				t.Fatalf("page after %d (cursor %d) holds database %d", after, next, l.ID)
			}
			ids = append(ids, l.ID)
		}
		if !more {
			return ids, pages, empty
		}
		if next <= after {
			t.Fatalf("cursor went from %d to %d", after, next)
		}
		after = next
	}
}

// TestListDatabasesScanIsBounded: with most ids those of deleted databases, a page scans
// a bounded number of ids and may come back short, or empty, with a cursor; the walk
// still lists every live database once, in id order.
func TestListDatabasesScanIsBounded(t *testing.T) {
	oldPer, oldMin := listScanPerLimit, listScanMin
	listScanPerLimit, listScanMin = 1, 4
	t.Cleanup(func() { listScanPerLimit, listScanMin = oldPer, oldMin })

	a := openAdmin(t, Config{Secret: []byte("listing-test-admin-secret")})
	defer a.Close()
	var live []uint64
	for i := 1; i <= 40; i++ {
		d, err := a.CreateDatabase(CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i >= 5 && i <= 30 {
			if err := a.DeleteDatabase(d.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		live = append(live, d.ID)
	}
	for _, limit := range []int{1, 3, 7, 100} {
		ids, pages, empty := walkAll(t, a, limit)
		if !equalIDs(ids, live) {
			t.Errorf("limit %d: walk saw %v, want %v", limit, ids, live)
		}
		if limit == 3 && empty == 0 {
			t.Errorf("limit 3 over 26 deleted ids in a row: %d pages, none empty; the scan is not bounded", pages)
		}
	}
}

func equalIDs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestListDatabasesEdges: a bad limit, a cursor at or past the end (even the largest
// uint64), and an empty registry.
func TestListDatabasesEdges(t *testing.T) {
	a := openAdmin(t, Config{Secret: []byte("listing-test-admin-secret")})
	defer a.Close()
	page, _, more, err := a.ListDatabases(0, 10)
	if err != nil || len(page) != 0 || more || page == nil {
		t.Errorf("empty registry: %v %v %v (want an empty, non-nil page and no more)", page, more, err)
	}
	for i := 0; i < 3; i++ {
		if _, err := a.CreateDatabase(CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var ae *Error
	if _, _, _, err := a.ListDatabases(0, 0); !errors.As(err, &ae) || ae.Code != EINVALID {
		t.Errorf("limit 0: %v, want EINVALID", err)
	}
	for _, after := range []uint64{3, 4, 1000, math.MaxUint64} {
		page, next, more, err := a.ListDatabases(after, 10)
		if err != nil || len(page) != 0 || more || next != after {
			t.Errorf("after %d: %d databases, next %d, more %v, %v", after, len(page), next, more, err)
		}
	}
	// The last page ends exactly at the last id: no empty page after it.
	page, next, more, err := a.ListDatabases(1, 2)
	if err != nil || len(page) != 2 || next != 3 || more {
		t.Errorf("after 1, limit 2: %d databases, next %d, more %v, %v", len(page), next, more, err)
	}
	all, ok, err := a.AllDatabases(3)
	if err != nil || !ok || len(all) != 3 {
		t.Errorf("AllDatabases(3) of 3: %d %v %v", len(all), ok, err)
	}
	if all, ok, err := a.AllDatabases(2); err != nil || ok || all != nil {
		t.Errorf("AllDatabases(2) of 3: %v %v %v, want refused", all, ok, err)
	}
}

// TestListDatabasesOpensNoFile: a listed database whose file is closed has key_count
// null and stays closed; one whose file is open shows its key count, and the listing
// does not count as a use of it.
func TestListDatabasesOpensNoFile(t *testing.T) {
	a := openAdmin(t, Config{Secret: []byte("listing-test-admin-secret"), IdleClose: time.Millisecond})
	defer a.Close()
	var ids []uint64
	for i := 0; i < 5; i++ {
		d, err := a.CreateDatabase(CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	db, release, err := a.Acquire(ids[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *storage.Tx) error {
		_, err := tx.Set([]byte("k1"), []byte("v"), storage.SetOptions{})
		if err == nil {
			_, err = tx.Set([]byte("k2"), []byte("v"), storage.SetOptions{})
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Everything but ids[2] (held) closes once idle.
	deadline := time.Now().Add(5 * time.Second)
	for a.files.OpenCount() > 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := a.files.OpenCount(); n != 1 {
		t.Fatalf("%d files open, want only the held one", n)
	}
	last := a.dbs[ids[0]].LastAccess()
	page, _, _, err := a.ListDatabases(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if n := a.files.OpenCount(); n != 1 {
		t.Errorf("listing opened files: %d open, want 1", n)
	}
	if len(page) != len(ids) {
		t.Fatalf("listed %d databases, want %d", len(page), len(ids))
	}
	for _, l := range page {
		raw, _ := json.Marshal(l)
		if l.ID == ids[2] {
			if l.KeyCount == nil || *l.KeyCount != 2 || !strings.Contains(string(raw), `"key_count":2`) {
				t.Errorf("open database: %s, want key_count 2", raw)
			}
			continue
		}
		if l.KeyCount != nil || !strings.Contains(string(raw), `"key_count":null`) || strings.Count(string(raw), "key_count") != 1 {
			t.Errorf("closed database: %s, want key_count null (once)", raw)
		}
		if l.SizeOnDisk < 0 {
			t.Errorf("closed database: size %d", l.SizeOnDisk)
		}
	}
	if a.dbs[ids[0]].LastAccess() != last {
		t.Errorf("listing moved a database's last access")
	}
	release()
}
