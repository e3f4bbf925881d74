package admin

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

const rotSecret = "rotate-test-secret"

// fillRotated writes n strings (small, inline, and large, with their own value record),
// a hash of n fields and a list of n elements into database id, tagged so later writes
// can be told apart.
func fillRotated(t *testing.T, a *Admin, id uint64, tag string, n int) {
	t.Helper()
	db, release, err := a.Files().Acquire(id)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := db.Update(func(tx *storage.Tx) error {
		for i := range n {
			v := tag + strconv.Itoa(i)
			if i%2 == 1 {
				v += string(bytes.Repeat([]byte("x"), 600))
			}
			if _, err := tx.Set([]byte(tag+"s"+strconv.Itoa(i)), []byte(v), storage.SetOptions{}); err != nil {
				return err
			}
			if _, err := tx.HSet([]byte(tag+"h"), [][]byte{[]byte(strconv.Itoa(i)), []byte(v)}); err != nil {
				return err
			}
			if _, err := tx.RPush([]byte(tag+"l"), [][]byte{[]byte(v)}, false); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// checkRotated reads back what fillRotated wrote.
func checkRotated(t *testing.T, a *Admin, id uint64, tag string, n int) {
	t.Helper()
	db, release, err := a.Files().Acquire(id)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := db.View(func(tx *storage.Tx) error {
		for i := range n {
			want := tag + strconv.Itoa(i)
			if i%2 == 1 {
				want += string(bytes.Repeat([]byte("x"), 600))
			}
			if v, _, err := tx.Get([]byte(tag + "s" + strconv.Itoa(i))); err != nil || string(v) != want {
				return fmt.Errorf("string %d: %q, %v", i, v, err)
			}
			if v, _, err := tx.HGet([]byte(tag+"h"), []byte(strconv.Itoa(i))); err != nil || string(v) != want {
				return fmt.Errorf("hash field %d: %q, %v", i, v, err)
			}
		}
		l, err := tx.LRange([]byte(tag+"l"), 0, -1)
		if err != nil || len(l) != n {
			return fmt.Errorf("list: %d elements, %v", len(l), err)
		}
		return nil
	}); err != nil {
		t.Errorf("database %d, %q: %v", id, tag, err)
	}
}

// fileTerms walks a stopped database file with bbolt itself and counts its sealed
// records by the key term each names.
func fileTerms(t *testing.T, dir string, id uint64) map[uint32]int {
	t.Helper()
	b, err := bolt.Open(storage.FilePath(dir, id), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	terms := map[uint32]int{}
	b.View(func(tx *bolt.Tx) error {
		for _, name := range []string{"keys", "data", "namedkeys"} {
			if bk := tx.Bucket([]byte(name)); bk != nil {
				bk.ForEach(func(_, v []byte) error {
					term, ok := crypto.RecordTerm(v)
					if !ok {
						t.Errorf("a %s record that is not sealed", name)
					}
					terms[term]++
					return nil
				})
			}
		}
		return nil
	})
	return terms
}

func waitRewrite(t *testing.T, a *Admin, id uint64) *RewriteProgress {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if p := a.rewriteProgress(id); p != nil && !p.Running {
			return p
		}
	}
	t.Fatal("the rewrite did not end")
	return nil
}

func sysRecords(t *testing.T, a *Admin, id uint64) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	a.db0.View(func(tx *storage.Tx) error {
		for _, n := range []string{dekName(id), termsName(id), reslotName(id), rewriteName(id)} {
			out[n] = tx.SysGet(n) != nil
		}
		return nil
	})
	return out
}

// TestRotateKeyKeepsOldRecords: a rotation without rewrite seals new writes under term
// 2; everything written before still reads, after a restart too, and the file holds
// records of both terms.
func TestRotateKeyKeepsOldRecords(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
	d, err := a.CreateDatabase(CreateOptions{Name: "rot"})
	if err != nil {
		t.Fatal(err)
	}
	fillRotated(t, a, d.ID, "a", 50)
	st, err := a.RotateDatabaseKey(d.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Term != 2 || fmt.Sprint(st.Terms) != "[1 2]" || st.Rewrite != nil {
		t.Errorf("status after rotation: %+v", st)
	}
	fillRotated(t, a, d.ID, "b", 50)
	checkRotated(t, a, d.ID, "a", 50)
	a.Close()
	terms := fileTerms(t, dir, d.ID)
	if terms[1] == 0 || terms[2] == 0 || len(terms) != 2 {
		t.Errorf("records by term in the file: %v, want both terms 1 and 2", terms)
	}
	if c, err := CheckDir(dir, []byte(rotSecret)); err != nil || len(c.Problems) != 0 {
		t.Errorf("herodb check of a directory with two key terms: %v, %+v", err, c)
	}
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
	defer a.Close()
	checkRotated(t, a, d.ID, "a", 50)
	checkRotated(t, a, d.ID, "b", 50)
	if st, err := a.KeyStatus(d.ID); err != nil || st.Term != 2 {
		t.Errorf("status after a restart: %+v, %v", st, err)
	}
	if st, err := a.RotateDatabaseKey(d.ID, false); err != nil || fmt.Sprint(st.Terms) != "[1 2 3]" {
		t.Errorf("a second rotation: %+v, %v", st, err)
	}
	checkRotated(t, a, d.ID, "b", 50)
}

// TestRotateKeyRewrite: a rotation with rewrite, while a writer goes on, leaves no
// record under term 1 in the file and no wrap of term 1 that opens: dek:<id> is gone,
// and the slot secret it was wrapped under is in no file of the directory.
func TestRotateKeyRewrite(t *testing.T) {
	defer func(n int) { rewriteBatch = n }(rewriteBatch)
	rewriteBatch = 7
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
	d, err := a.CreateDatabase(CreateOptions{Name: "rw"})
	if err != nil {
		t.Fatal(err)
	}
	fillRotated(t, a, d.ID, "a", 100)
	m := material(t, a, d.ID)
	stop, wrote := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				wrote <- n
				return
			default:
			}
			writeKey(t, a, d.ID, "w"+strconv.Itoa(n), "v"+strconv.Itoa(n))
			n++
		}
	}()
	if _, err := a.RotateDatabaseKey(d.ID, true); err != nil {
		t.Fatal(err)
	}
	p := waitRewrite(t, a, d.ID)
	close(stop)
	n := <-wrote
	if p.Error != "" || p.Resealed == 0 || p.Term != 2 {
		t.Fatalf("rewrite: %+v", p)
	}
	if st, err := a.KeyStatus(d.ID); err != nil || fmt.Sprint(st.Terms) != "[2]" {
		t.Errorf("terms after the rewrite: %+v, %v", st, err)
	}
	if r := sysRecords(t, a, d.ID); r[dekName(d.ID)] || r[reslotName(d.ID)] || r[rewriteName(d.ID)] || !r[termsName(d.ID)] {
		t.Errorf("DB 0's key records after the rewrite: %v", r)
	}
	slot, _ := a.shred.slot(d.ID)
	if bytes.Equal(slot, m.slot) {
		t.Error("the slot still holds the secret term 1 was wrapped under")
	}
	if _, err := crypto.Unwrap(crypto.SlotWrapKey(a.dek0, slot, d.ID), slotAAD(d.ID), m.wrapped); err == nil {
		t.Error("term 1's old wrap opens under the new slot")
	}
	a.Close()
	if terms := fileTerms(t, dir, d.ID); terms[1] != 0 || terms[2] == 0 {
		t.Errorf("records by term in the file after the rewrite: %v, want term 2 alone", terms)
	}
	for _, needle := range [][]byte{m.slot, m.dek} {
		if f := findAll(t, dir, needle); len(f) != 0 {
			t.Errorf("term 1's key material is still in %v", f)
		}
	}
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
	defer a.Close()
	checkRotated(t, a, d.ID, "a", 100)
	for i := range n {
		if v := readKey(t, a, d.ID, "w"+strconv.Itoa(i)); v != "v"+strconv.Itoa(i) {
			t.Fatalf("write %d made during the rewrite reads %q", i, v)
		}
	}
	// Old records are not left readable by a key kept in memory either: a fresh file
	// open reads only term 2 from DB 0.
	if keys, err := a.databaseKeys(d.ID); err != nil || keys[1] != nil || keys[2] == nil || len(keys[0]) != 2*crypto.KeySize {
		t.Errorf("keys after a restart: terms %v, %v", len(keys), err)
	}
}

// TestRotateKeyRestartDuringRewrite: a stop in the middle of the walk, or between the
// steps of the old term's destruction (cut points, as a crash there), is resumed at the
// next start, and ends with every record under term 2 and term 1 gone.
func TestRotateKeyRestartDuringRewrite(t *testing.T) {
	defer func(n int) { rewriteBatch = n }(rewriteBatch)
	for _, cut := range []int{0, 1, 2} {
		t.Run(fmt.Sprintf("cut%d", cut), func(t *testing.T) {
			dir := t.TempDir()
			a := openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
			d, err := a.CreateDatabase(CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fillRotated(t, a, d.ID, "a", 200)
			rewriteBatch = 1
			if cut > 0 {
				rewriteBatch = 1000
				cutReslot = func(step int) bool { return step == cut }
			}
			if _, err := a.RotateDatabaseKey(d.ID, true); err != nil {
				t.Fatal(err)
			}
			if cut > 0 {
				p := waitRewrite(t, a, d.ID)
				cutReslot = nil
				if p.Error == "" {
					t.Fatalf("the cut point did not stop the rewrite: %+v", p)
				}
			}
			a.Close() // cut 0: mid-walk, one record per batch
			if !stoppedHas(t, dir, rewriteName(d.ID)) {
				t.Fatal("the rewrite's record is gone after a stop")
			}
			rewriteBatch = 64
			a = openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
			checkRotated(t, a, d.ID, "a", 200) // readable before the resumed job is done
			if p := waitRewrite(t, a, d.ID); p.Error != "" {
				t.Fatalf("resumed rewrite: %+v", p)
			}
			if st, err := a.KeyStatus(d.ID); err != nil || fmt.Sprint(st.Terms) != "[2]" {
				t.Errorf("terms after the resumed rewrite: %+v, %v", st, err)
			}
			a.Close()
			if terms := fileTerms(t, dir, d.ID); terms[1] != 0 {
				t.Errorf("records by term: %v", terms)
			}
			a = openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
			defer a.Close()
			checkRotated(t, a, d.ID, "a", 200)
		})
	}
}

// TestRotateKeyDeleteDuringRewrite: deleting the database stops its rewrite cleanly:
// the job ends saying so, no key record of it is left, its slot stays zero, and the
// next start resumes nothing.
func TestRotateKeyDeleteDuringRewrite(t *testing.T) {
	defer func(n int) { rewriteBatch = n }(rewriteBatch)
	rewriteBatch = 1
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
	d, err := a.CreateDatabase(CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := a.CreateDatabase(CreateOptions{})
	fillRotated(t, a, d.ID, "a", 200)
	writeKey(t, a, other.ID, "k", "v")
	if _, err := a.RotateDatabaseKey(d.ID, true); err != nil {
		t.Fatal(err)
	}
	for a.rewriteProgress(d.ID).Resealed == 0 {
		time.Sleep(time.Millisecond)
	}
	// One record per batch, 600 of them: the rewrite is still running.
	if _, err := a.RotateDatabaseKey(d.ID, false); ErrorCode(err) != ECONFLICT {
		t.Errorf("a rotation during the rewrite: %v, want a conflict", err)
	}
	if err := a.DeleteDatabase(d.ID); err != nil {
		t.Fatal(err)
	}
	p := waitRewrite(t, a, d.ID)
	if p.Error != "stopped: the database was deleted" {
		t.Errorf("rewrite after the deletion: %+v", p)
	}
	for n, there := range sysRecords(t, a, d.ID) {
		if there {
			t.Errorf("%s is left after the deletion", n)
		}
	}
	if s, _ := a.shred.slot(d.ID); s != nil {
		t.Error("the deleted database's slot holds a secret")
	}
	a.Close()
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
	defer a.Close()
	if p := a.rewriteProgress(d.ID); p != nil {
		t.Errorf("a rewrite of the deleted database after a restart: %+v", p)
	}
	if v := readKey(t, a, other.ID, "k"); v != "v" {
		t.Errorf("another database reads %q", v)
	}
	if _, err := filepath.Glob(filepath.Join(dir, "db", "*", strconv.FormatUint(d.ID, 10)+".db")); err != nil {
		t.Fatal(err)
	}
}

// stoppedHas reports whether the stopped directory's 0.db holds sys record name.
func stoppedHas(t *testing.T, dir, name string) bool {
	t.Helper()
	b, err := bolt.Open(filepath.Join(dir, "0.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var there bool
	b.View(func(tx *bolt.Tx) error {
		there = tx.Bucket([]byte("herodb.sys")).Get([]byte(name)) != nil
		return nil
	})
	return there
}

// TestRotateKeyEmptyDatabase: a database never written to (no file) rotates and
// rewrites too; its first writes are under the new term, and read after a restart.
func TestRotateKeyEmptyDatabase(t *testing.T) {
	dir := t.TempDir()
	a := openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
	d, err := a.CreateDatabase(CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RotateDatabaseKey(d.ID, true); err != nil {
		t.Fatal(err)
	}
	if p := waitRewrite(t, a, d.ID); p.Error != "" {
		t.Fatalf("rewrite of an empty database: %+v", p)
	}
	fillRotated(t, a, d.ID, "a", 20)
	a.Close()
	if terms := fileTerms(t, dir, d.ID); terms[1] != 0 || terms[2] == 0 {
		t.Errorf("records by term: %v", terms)
	}
	a = openAdmin(t, Config{Dir: dir, Secret: []byte(rotSecret)})
	defer a.Close()
	checkRotated(t, a, d.ID, "a", 20)
}
