package storage_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seed6aa118f9/herodb/internal/smaps"
	"github.com/seed6aa118f9/herodb/storage"
)

// mappedRSS is what this process has resident of its maps of the file at path.
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	n, err := smaps.FileRSS(os.Getpid(), path)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fillValues writes n values of size bytes named v0..v<n-1>, 100 to a transaction.
func fillValues(t *testing.T, e *env, from, n, size int) {
	t.Helper()
	for i := from; i < from+n; i += 100 {
		run(t, e, func(tx *storage.Tx) (struct{}, error) {
			for j := i; j < i+100 && j < from+n; j++ {
				if _, err := tx.Set([]byte(fmt.Sprint("v", j)), valueOf(j, size), storage.SetOptions{}); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		})
	}
}

func valueOf(i, size int) []byte {
	return []byte(fmt.Sprintf("%08d", i) + strings.Repeat("x", size-8))
}

// A file's pages read are mapped until DropMapped takes them out; reads after it see
// the same values.
func TestDropMappedUnmapsTheFile(t *testing.T) {
	e := newEnv(t)
	fillValues(t, e, 0, 2000, 4000) // about 8 MiB of records
	e.reopen()                      // a fresh map: what is resident is what the reads touch
	for i := 0; i < 2000; i++ {
		wantGet(t, e, fmt.Sprint("v", i), string(valueOf(i, 4000)))
	}
	before := mappedRSS(t, e.path)
	if before < 4<<20 {
		t.Fatalf("after reading every value, %d bytes of the file are mapped; want the file's pages (several MiB)", before)
	}
	if err := e.db.DropMapped(); err != nil {
		t.Fatal(err)
	}
	if after := mappedRSS(t, e.path); after > 256<<10 {
		t.Fatalf("after DropMapped, %d bytes of the file are still mapped (%d before)", after, before)
	}
	for i := 0; i < 2000; i++ {
		wantGet(t, e, fmt.Sprint("v", i), string(valueOf(i, 4000)))
	}
}

// DropMapped racing readers and a writer that grows the file (bbolt then maps it again
// at another address): no read sees a wrong value and nothing faults.
func TestDropMappedRacingRemaps(t *testing.T) {
	e := newEnv(t)
	fillValues(t, e, 0, 500, 2000)
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for i := r; !stop.Load(); i = (i + 7) % 500 {
				var got []byte
				err := e.db.View(func(tx *storage.Tx) error {
					v, _, err := tx.Get([]byte(fmt.Sprint("v", i)))
					got = v
					return err
				})
				if err == nil && string(got) != string(valueOf(i, 2000)) {
					err = fmt.Errorf("v%d read %.20q…", i, got)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(r)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if err := e.db.DropMapped(); err != nil {
				errs <- err
				return
			}
		}
	}()
	// Grow the file past several map sizes while the others run.
	fillValues(t, e, 500, 6000, 4000)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 0; i < 6500; i += 97 {
		size := 4000
		if i < 500 {
			size = 2000
		}
		wantGet(t, e, fmt.Sprint("v", i), string(valueOf(i, size)))
	}
}
