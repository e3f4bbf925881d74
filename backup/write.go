package backup

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/storage"
)

// Request says what to back up and for whom.
type Request struct {
	DB        uint64 // the database to back up; ignored with All
	All       bool   // DB 0 and every live database: a node backup
	Recipient age.Recipient
	Version   string // herodb's version, recorded in the header
}

// Write streams the backup r asks for to w. Nothing is sent before the request is
// checked and the first database (DB 0 for a node backup) is copied: a database that
// does not exist is an *admin.Error, one that cannot be flushed or copied a
// *SnapshotError, with nothing written; an error after that (a later database of a node
// backup) leaves w holding a cut archive that restore refuses.
//
// Each database is snapshotted (storage.DB.Snapshot: flushed, then copied in one bbolt
// read transaction) into an unlinked temporary file in the data directory, then sent
// from it: the read transaction lasts a local copy, never the network transfer, and the
// file is gone the moment it is closed, even after a crash. A node backup takes DB 0
// first, then each database listed after it: a database created meanwhile is in the
// backup, unknown to its DB 0 (a node restore leaves its file out), and one deleted
// meanwhile is skipped and named in end.json (a node restore deletes it, RestoreNode).
func Write(a *admin.Admin, r Request, w io.Writer) error {
	if r.Recipient == nil {
		return admin.Errorf(admin.EINVALID, "no recipient: a backup is encrypted to an age recipient (age1…)")
	}
	if !r.All {
		if r.DB == 0 {
			return admin.Errorf(admin.EINVALID, "DB 0 is backed up only with the whole node (--all)")
		}
		if _, ok := a.DatabaseByID(r.DB); !ok {
			return admin.Errorf(admin.ENOTFOUND, "database %d does not exist", r.DB)
		}
	}
	tmp, err := tempDir(a.Dir())
	if err != nil {
		return err
	}
	// Nothing reaches w before the first copy is taken (writer.entry releases it): a
	// database whose changes cannot be flushed answers its error, not a cut file.
	hold := &holdWriter{w: w}
	aw, err := age.Encrypt(hold, r.Recipient)
	if err != nil {
		return err
	}
	bw := &writer{tw: tar.NewWriter(aw), tmp: tmp, a: a, hold: hold}
	kind := KindDatabase
	if r.All {
		kind = KindNode
	}
	if err := bw.json(headerName, header{Format: formatName, Version: Version, Kind: kind,
		CreatedAt: a.Clock().Now().UnixMilli(), Herodb: r.Version}); err != nil {
		return err
	}
	var e end
	if r.All {
		if err := bw.db0(); err != nil {
			return err
		}
		for _, d := range a.Databases() {
			err := bw.database(d.ID)
			if admin.ErrorCode(err) == admin.ENOTFOUND {
				e.Skipped = append(e.Skipped, d.ID)
				continue
			}
			if err != nil {
				return err
			}
			e.Databases++
		}
	} else {
		if err := bw.database(r.DB); err != nil {
			return err
		}
		e.Databases = 1
	}
	if err := bw.json(endName, e); err != nil {
		return err
	}
	if err := bw.tw.Close(); err != nil {
		return err
	}
	if err := aw.Close(); err != nil {
		return err
	}
	return hold.release()
}

// SnapshotError is a database that could not be copied: flushing its changes into its
// file, or copying the file, failed (a full disk, a file that cannot be written). Its
// message names the database only; the cause, with paths, is Err.
type SnapshotError struct {
	DB  uint64
	Err error
}

func (e *SnapshotError) Error() string {
	what := fmt.Sprintf("database %d", e.DB)
	if e.DB == 0 {
		what = "DB 0"
	}
	return what + " cannot be backed up: flushing its changes into its file or copying the file failed (a full disk, or a file that cannot be written: the server's log says which)"
}

func (e *SnapshotError) Unwrap() error { return e.Err }

// holdWriter keeps what is written to it until release, then passes everything on.
type holdWriter struct {
	w        io.Writer
	held     []byte
	released bool
}

func (h *holdWriter) Write(p []byte) (int, error) {
	if !h.released {
		h.held = append(h.held, p...)
		return len(p), nil
	}
	return h.w.Write(p)
}

// release sends what was held; from then on writes pass through.
func (h *holdWriter) release() error {
	if h.released {
		return nil
	}
	h.released = true
	_, err := h.w.Write(h.held)
	h.held = nil
	return err
}

// tempDir is <dir>/tmp, where backups and restores stage files.
func tempDir(dir string) (string, error) {
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return "", fmt.Errorf("backup: making %s: %w", tmp, err)
	}
	return tmp, nil
}

type writer struct {
	tw   *tar.Writer
	tmp  string
	a    *admin.Admin
	hold *holdWriter
}

func (bw *writer) json(name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := bw.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(raw)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = bw.tw.Write(raw)
	return err
}

// db0 adds DB 0's file, then the key slots. The slots are copied after DB 0: a
// database created meanwhile has a slot DB 0 does not know (harmless), and only one
// deleted meanwhile can have lost its slot, and deleted ones are skipped.
func (bw *writer) db0() error {
	f, e, err := bw.snapshot(bw.a.DB0())
	if err != nil {
		return &SnapshotError{DB: 0, Err: err}
	}
	defer f.Close()
	slots, err := bw.copySlots()
	if err != nil {
		return err
	}
	defer slots.Close()
	st, err := slots.Stat()
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, slots); err != nil {
		return err
	}
	if _, err := slots.Seek(0, io.SeekStart); err != nil {
		return err
	}
	e.SlotsSize, e.SlotsSHA256 = st.Size(), hex.EncodeToString(h.Sum(nil))
	if err := bw.entry(db0Meta, db0File, e, f); err != nil {
		return err
	}
	if err := bw.tw.WriteHeader(&tar.Header{Name: slotsFile, Mode: 0o600, Size: e.SlotsSize, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(bw.tw, slots)
	return err
}

// copySlots copies the slot file into an unlinked temporary file, rewound.
func (bw *writer) copySlots() (*os.File, error) {
	src, err := os.Open(filepath.Join(bw.a.Dir(), admin.ShredFileName))
	if err != nil {
		return nil, err
	}
	defer src.Close()
	f, err := os.CreateTemp(bw.tmp, "backup-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if _, err := io.Copy(f, src); err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// database adds database id: its entry, with its keys, and its file.
func (bw *writer) database(id uint64) error {
	db, release, err := bw.a.Acquire(id)
	if err != nil {
		return err
	}
	f, e, err := bw.snapshot(db)
	release()
	if err != nil {
		return &SnapshotError{DB: id, Err: err}
	}
	defer f.Close()
	d, ok := bw.a.DatabaseByID(id)
	if !ok {
		return admin.Errorf(admin.ENOTFOUND, "database %d does not exist", id)
	}
	// The keys are read after the snapshot: a key term added meanwhile is then in the
	// backup with the records it sealed.
	keys, err := bw.a.DatabaseKeys(id)
	if err != nil {
		return err
	}
	e.ID, e.Name, e.Backend, e.MaxSize, e.CreatedAt = id, d.Name, d.Backend, d.MaxSize, d.CreatedAt
	e.Keys = encodeKeys(keys)
	return bw.entry(dbMetaName(id), dbFileName(id), e, f)
}

// snapshot copies db's file into an unlinked temporary file, rewound; its entry holds
// the file's presence, size and digest.
func (bw *writer) snapshot(db *storage.DB) (*os.File, dbEntry, error) {
	var e dbEntry
	f, err := os.CreateTemp(bw.tmp, "backup-*")
	if err != nil {
		return nil, e, err
	}
	os.Remove(f.Name()) // the open file lives on; nothing is left behind
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	e.File, err = db.Snapshot(cw)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, e, err
	}
	e.Size = cw.n
	if e.File {
		e.SHA256 = hex.EncodeToString(h.Sum(nil))
	}
	return f, e, nil
}

// entry writes a database's entry, then its file when it has one. A copy was taken: what
// was held back is sent.
func (bw *writer) entry(metaName, fileName string, e dbEntry, f *os.File) error {
	if err := bw.hold.release(); err != nil {
		return err
	}
	if err := bw.json(metaName, e); err != nil {
		return err
	}
	if !e.File {
		return nil
	}
	if err := bw.tw.WriteHeader(&tar.Header{Name: fileName, Mode: 0o600, Size: e.Size, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	n, err := io.Copy(bw.tw, f)
	if err == nil && n != e.Size {
		err = errors.New("backup: the snapshot's size changed while it was sent")
	}
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
