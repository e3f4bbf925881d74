package storage_test

// Regression tests for the findings of a data-plane review; each failed before its fix.

import (
	"testing"

	"github.com/seed6aa118f9/herodb/storage"
)

// An empty element opens to a nil plaintext, which getElem (lists.go) takes for a missing
// record: LPOP/RPOP/LINDEX/LMOVE/LPOS of an empty element fail with ErrCorrupt.
func TestReviewEmptyListElement(t *testing.T) {
	e := newEnv(t)
	run(t, e, func(tx *storage.Tx) (int64, error) { return tx.RPush([]byte("l"), bs("", "x"), false) })
	v, ok, err := func() ([]byte, bool, error) {
		var v []byte
		var ok bool
		err := e.db.View(func(tx *storage.Tx) error {
			var err error
			v, ok, err = tx.LIndex([]byte("l"), 0)
			return err
		})
		return v, ok, err
	}()
	if err != nil || !ok || len(v) != 0 {
		t.Fatalf("LIndex 0 of [\"\", \"x\"]: %q %v %v", v, ok, err)
	}
	got := run(t, e, func(tx *storage.Tx) ([][]byte, error) { return tx.LPop([]byte("l"), 1) })
	if len(got) != 1 || len(got[0]) != 0 {
		t.Fatalf("LPop: %q", got)
	}
}

// DBSize reads bbolt's bucket stats, which in a write transaction do not include the
// transaction's own uncommitted changes: DBSIZE in MULTI/EXEC or pipelined behind writes
// (one group transaction) answers the count from before.
func TestReviewDBSizeInWriteTx(t *testing.T) {
	e := newEnv(t)
	n := run(t, e, func(tx *storage.Tx) (int64, error) {
		for _, k := range []string{"a", "b", "c"} {
			if _, err := tx.Set([]byte(k), []byte("v"), storage.SetOptions{}); err != nil {
				return 0, err
			}
		}
		return tx.DBSize(), nil
	})
	if n != 3 {
		t.Fatalf("DBSize after 3 SETs in the same transaction: %d, want 3", n)
	}
}
