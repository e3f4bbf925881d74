package admin

// The check of a data directory (`herodb check`, offline) and of one database
// (checkDatabase, online). Each file's records are checked by storage's walk
// (storage/check.go); what is checked here is what only DB 0 knows: that every live
// database's wrapped key unwraps, that every database written to has its file and no
// file is there that no database has, and that each file holds at least the log its
// rollback counter says (applied.go) and no more than the log has.

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// Check is a check's report: every problem names its file. OK when Problems is empty;
// Notes are what is as it should be after a crash or an interrupted deletion, and is
// mended at the next start.
type Check struct {
	Dir       string                 `json:"dir,omitempty"`
	Files     []*storage.CheckReport `json:"files"`
	Databases int                    `json:"databases"`
	Problems  []string               `json:"problems"`
	Notes     []string               `json:"notes"`
	OK        bool                   `json:"ok"`
}

func (c *Check) problem(format string, args ...any) {
	c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
}

func (c *Check) note(format string, args ...any) {
	c.Notes = append(c.Notes, fmt.Sprintf(format, args...))
}

// file adds one file's report, its problems named by its path.
func (c *Check) file(r *storage.CheckReport) {
	c.Files = append(c.Files, r)
	for _, p := range r.Problems {
		c.problem("%s: %s", r.Path, p)
	}
}

func (c *Check) done() *Check {
	c.OK = len(c.Problems) == 0
	if c.Problems == nil {
		c.Problems = []string{}
	}
	if c.Notes == nil {
		c.Notes = []string{}
	}
	return c
}

// checkLockTimeout is how long the check waits for a file's lock before it says the
// directory is in use.
const checkLockTimeout = 500 * time.Millisecond

// CheckDir checks a stopped data directory, reading every file and writing none. A
// directory a running server holds answers an error that wraps storage.ErrDBInUse; a
// wrong secret, EWRONGSECRET. Everything else found is in the report.
func CheckDir(dir string, secret []byte) (*Check, error) {
	c := &Check{Dir: dir}
	path0 := filepath.Join(dir, "0.db")
	if _, err := os.Stat(path0); err != nil {
		return nil, Errorf(EINVALID, "%s holds no herodb data directory (no 0.db)", dir)
	}
	db0, err := storage.Open(path0, 0, storage.Options{ReadOnly: true, LockTimeout: checkLockTimeout})
	if errors.Is(err, storage.ErrDBInUse) {
		return nil, fmt.Errorf("%s is in use by a running server (check it online: herodb db check ID): %w", dir, storage.ErrDBInUse)
	}
	if err != nil {
		c.problem("%s: %v", path0, err)
		return c.done(), nil
	}
	defer db0.Close()
	a := &Admin{dir: dir, db0: db0, guard: newAuthGuard(slog.New(slog.DiscardHandler))}
	if a.shred, err = openShredFileReadOnly(dir); err != nil {
		c.problem("%v", err) // every database key then fails to unwrap, each named
	} else {
		defer a.shred.close()
	}
	if err := a.checkUnlock(secret); err != nil {
		return nil, err
	}
	kr0, _ := crypto.NewKeyring(map[uint32][]byte{1: a.dek0})
	if err := db0.Unlock(kr0); err != nil {
		c.problem("%s: %v", path0, err)
		return c.done(), nil
	}
	r0, err := storage.CheckFile(path0, 0, kr0, checkLockTimeout)
	if err != nil {
		return nil, err
	}
	c.file(r0)
	logInfo, err := wal.Inspect(filepath.Join(dir, "wal"), crypto.SubKey(a.dek0, "herodb/v1/wal-mac"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		c.problem("%s: %v", filepath.Join(dir, "wal"), err)
	}
	if logInfo != nil && logInfo.Damage != "" {
		if logInfo.Torn {
			c.note("the log ends in a torn or unfinished frame (a crash mid-write; cut off at the next start): %s", logInfo.Damage)
		} else {
			c.problem("%s", logInfo.Damage)
		}
	}
	seen := map[string]bool{path0: true}
	err = db0.View(func(tx *storage.Tx) error {
		next, err := nextID(tx)
		if err != nil {
			return err
		}
		for id := uint64(1); id < next; id++ {
			if err := a.checkRegistered(tx, c, id, logInfo, seen); err != nil {
				return err
			}
		}
		for _, kv := range tx.SysPrefix("dek:") {
			if id, err := strconv.ParseUint(string(kv[0][4:]), 10, 64); err != nil || id >= next {
				c.problem("%s: a wrapped key of no database (%s)", path0, kv[0])
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, storage.ErrDBInUse) {
			return nil, err
		}
		c.problem("%s: %v", path0, err)
	}
	legacy, _ := filepath.Glob(filepath.Join(dir, "*.db"))
	layout, _ := filepath.Glob(filepath.Join(dir, "db", "*", "*.db"))
	for _, p := range append(legacy, layout...) {
		if !seen[p] {
			c.problem("%s: a file that no database registered in DB 0 has", p)
		}
	}
	return c.done(), nil
}

// checkUnlock derives DB 0's key from secret, as unlock does, writing nothing.
func (a *Admin) checkUnlock(secret []byte) error {
	var err error
	a.dek0, _, _, err = openDEK0(a.db0, secret, a.dir)
	return err
}

// checkRegistered checks database id against DB 0: its registration, its key, its file
// (walked) and the file's place in the log.
func (a *Admin) checkRegistered(tx *storage.Tx, c *Check, id uint64, log *wal.Inspection, seen map[string]bool) error {
	path := storage.FilePath(a.dir, id)
	if _, err := os.Stat(path); err != nil {
		if _, lerr := os.Stat(storage.LegacyPath(a.dir, id)); lerr == nil {
			path = storage.LegacyPath(a.dir, id)
		}
	}
	_, serr := os.Stat(path)
	exists := serr == nil
	pairs, rerr := tx.HGetAll(metaKey(id))
	if why := checkRegistration(tx, a.regKey(), id, pairs, rerr); why != "" {
		c.problem("%s: database %d: %s", filepath.Join(a.dir, "0.db"), id, why)
		seen[path] = exists
		return nil
	}
	d := decodeRegistration(id, pairs)
	if d.Deleted() {
		if tx.SysGet("dek:"+strconv.FormatUint(id, 10)) != nil {
			c.problem("%s: database %d was deleted but its wrapped key is still there", filepath.Join(a.dir, "0.db"), id)
		}
		if exists {
			seen[path] = true
			c.note("%s: the file of deleted database %d, left by an interrupted deletion (removed at the next start; its key is gone)", path, id)
		}
		return nil
	}
	if tx.SysGet(restoreDeletePrefix+strconv.FormatUint(id, 10)) != nil {
		seen[path] = exists
		c.note("%s: database %d: %s", filepath.Join(a.dir, "0.db"), id, markedNote)
		return nil
	}
	c.Databases++
	kr, err := a.checkKey(tx, id)
	if err != nil {
		c.problem("%s: database %d: %v", filepath.Join(a.dir, "0.db"), id, err)
		seen[path] = exists
		return nil
	}
	recorded, err := a.recordedApplied(tx, id)
	if err != nil {
		c.problem("%s: %s", filepath.Join(a.dir, "0.db"), ErrorMessage(err))
	}
	if !exists {
		if !d.filePending {
			c.problem("%s: database %d was written to but its file is missing", path, id)
		}
		return nil
	}
	seen[path] = true
	r, err := storage.CheckFile(path, id, kr, checkLockTimeout)
	if err != nil {
		return err
	}
	c.file(r)
	if r.Applied < recorded {
		c.problem("%s: an older copy than the one herodb last wrote: it holds the log up to sequence %d, its last flush reached %d (refused at open; herodb db accept-file %d accepts it)", path, r.Applied, recorded, id)
	}
	if log != nil && log.Next != 0 {
		if r.Applied >= log.Next {
			c.problem("%s: it holds the log up to sequence %d, beyond the log's end (%d)", path, r.Applied, log.Next-1)
		}
		if last := log.Last[id]; last > r.Applied {
			c.note("%s: the log holds changes of database %d its file does not have yet (replayed at the next start)", path, id)
		}
	}
	return nil
}

// checkKey unwraps database id's key, as unlockDB does, into its keyring.
func (a *Admin) checkKey(tx *storage.Tx, id uint64) (*crypto.Keyring, error) {
	if tx.SysGet(dekName(id)) == nil && tx.SysGet(termsName(id)) == nil && tx.SysGet(reslotName(id)) == nil {
		return nil, errors.New("its wrapped key is missing")
	}
	keys, err := a.keysIn(tx, id) // every key term, with its slot (key_terms.go)
	if err != nil {
		return nil, errors.New("its wrapped key does not unwrap under DB 0's key")
	}
	return crypto.NewKeyring(keys)
}

// CheckDatabase checks database id on the running server: its registration, its key
// (opening it unwraps it), and its file, walked in one read transaction. What the check
// finds is in the report, not an error; errors: ENOTFOUND.
func (a *Admin) CheckDatabase(id uint64) (*Check, error) {
	d, ok := a.DatabaseByID(id)
	if !ok || d.Deleted() || id == 0 {
		return nil, Errorf(ENOTFOUND, "database %d does not exist", id)
	}
	c := &Check{Databases: 1}
	path := a.files.Path(id)
	if err := d.Unusable(); err != nil {
		c.problem("%s: %s", filepath.Join(a.dir, "0.db"), ErrorMessage(err))
		return c.done(), nil
	}
	db, release, err := a.acquireFile(id)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, err
		}
		c.problem("%s: %v", path, err) // refused at open: a wrong, older or damaged file
		return c.done(), nil
	}
	defer release()
	r, err := db.Check()
	if err != nil {
		c.problem("%s: %v", path, err)
		return c.done(), nil
	}
	c.file(r)
	return c.done(), nil
}
