package admin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/seed6aa118f9/herodb/crypto"
)

// ShredFileName is the file beside 0.db holding one random secret per database (its
// "slot"). A database's key is wrapped under DB 0's key and its slot together
// (crypto.SlotWrapKey), and deleting the database overwrites the slot in place, so no
// copy of the wrapped key, in 0.db's free pages or anywhere, can be opened again.
//
// bbolt never overwrites a freed page (copy-on-write), so a value deleted from 0.db stays
// readable until the page is reused; this file is the one place herodb writes in place.
// Backups of a whole node must carry it with 0.db: without it no database key opens.
const ShredFileName = "shred.slots"

// Layout: a header of shredHeader bytes (magic, then zeros), then slot n at
// shredHeader + n*SlotSize for database n (slot 0, DB 0's, is never used). A slot of
// zeros, or one past the end of the file (never written: a hole reads as zeros), holds
// no secret.
const (
	shredHeader = 64
	// SlotSize is the size of one database's slot secret.
	SlotSize = crypto.KeySize
)

var shredMagic = []byte("HDBSHRD1")

// shredFile is the open slot file. Reads and writes at offsets need no lock of ours:
// pread and pwrite are safe side by side, and no two writers touch one slot (a slot is
// written by the create that is given its id, zeroed by its one deletion).
type shredFile struct {
	f *os.File
}

// openShredFile opens dir's slot file, creating it (header written and fsynced, the
// directory entry too) when absent. A file with another header is refused, never
// guessed at: its slots could be anything.
func openShredFile(dir string) (*shredFile, error) {
	path := filepath.Join(dir, ShredFileName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		if f, err = createShredFile(dir, path); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	head := make([]byte, shredHeader)
	if _, err := f.ReadAt(head, 0); err != nil || !bytes.Equal(head[:len(shredMagic)], shredMagic) {
		f.Close()
		return nil, fmt.Errorf("%s is not a herodb slot file (its header is not %q); without it no database key opens: restore it from the backup that holds this 0.db", path, shredMagic)
	}
	return &shredFile{f: f}, nil
}

// openShredFileReadOnly opens dir's slot file for reading only (herodb check writes
// nothing); a missing file is an error, since no database key opens without it.
func openShredFileReadOnly(dir string) (*shredFile, error) {
	path := filepath.Join(dir, ShredFileName)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s (without it no database key opens): %w", path, err)
	}
	head := make([]byte, shredHeader)
	if _, err := f.ReadAt(head, 0); err != nil || !bytes.Equal(head[:len(shredMagic)], shredMagic) {
		f.Close()
		return nil, fmt.Errorf("%s is not a herodb slot file (its header is not %q)", path, shredMagic)
	}
	return &shredFile{f: f}, nil
}

func createShredFile(dir, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	head := make([]byte, shredHeader)
	copy(head, shredMagic)
	if _, err := f.WriteAt(head, 0); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDirEntry(dir)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return f, nil
}

func syncDirEntry(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func slotOffset(id uint64) int64 { return shredHeader + int64(id)*SlotSize }

// slot returns database id's secret, or nil when its slot holds none (shredded, or
// never written).
func (s *shredFile) slot(id uint64) ([]byte, error) {
	b := make([]byte, SlotSize)
	n, err := s.f.ReadAt(b, slotOffset(id))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read slot %d of %s: %w", id, ShredFileName, err)
	}
	if n < SlotSize || bytes.Equal(b, make([]byte, SlotSize)) {
		return nil, nil
	}
	return b, nil
}

// write writes the secrets of databases first, first+1, … in one write. They are not
// durable until sync.
func (s *shredFile) write(first uint64, secrets [][]byte) error {
	b := make([]byte, 0, len(secrets)*SlotSize)
	for _, sec := range secrets {
		b = append(b, sec...)
	}
	if _, err := s.f.WriteAt(b, slotOffset(first)); err != nil {
		return fmt.Errorf("write %s: %w", ShredFileName, err)
	}
	return nil
}

// put writes the secrets of databases first, first+1, … and makes them durable before
// it returns.
func (s *shredFile) put(first uint64, secrets [][]byte) error {
	if err := s.write(first, secrets); err != nil {
		return err
	}
	return s.sync()
}

// sync makes every slot written durable (fsync: the file may grow).
func (s *shredFile) sync() error {
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", ShredFileName, err)
	}
	return nil
}

// shred overwrites database id's slot with zeros in place and makes that durable. From
// then on its wrapped key opens under no key the server holds.
func (s *shredFile) shred(id uint64) error {
	if _, err := s.f.WriteAt(make([]byte, SlotSize), slotOffset(id)); err != nil {
		return fmt.Errorf("overwrite slot %d of %s: %w", id, ShredFileName, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", ShredFileName, err)
	}
	return nil
}

func (s *shredFile) close() error { return s.f.Close() }
