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
	"strings"
)

// ErrInvalid is the error of a backup that is cut short, damaged or not a backup at all;
// every such error wraps it and says what was wrong.
var ErrInvalid = errors.New("not a valid herodb backup")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// staged is one database of a backup as read: its entry and, when it was kept, its file
// in a temporary place.
type staged struct {
	entry dbEntry
	path  string // "": not kept, or the database has no file
}

// contents is a backup read whole.
type contents struct {
	header header
	db0    *staged // node backups only
	slots  string  // node backups: the staged slot file ("": not kept)
	dbs    []*staged
	end    end
}

// remove deletes every staged file.
func (c *contents) remove() {
	for _, s := range append([]*staged{c.db0}, c.dbs...) {
		if s != nil && s.path != "" {
			os.Remove(s.path)
		}
	}
	if c.slots != "" {
		os.Remove(c.slots)
	}
}

// keepFunc is told the header once it is read, and answers which files to keep (id 0 is
// DB 0's); or it refuses the backup.
type keepFunc func(h header) (func(id uint64) bool, error)

// read reads a whole backup's plaintext (the tar archive age decrypted) from r, in its
// one order, checking each entry, each file's size and digest against its entry, and
// that the archive ends with end.json and nothing after. The files keep wants are
// written into tmp; the others are read and checked, not kept. When read fails, no file
// it wrote is left.
func read(r io.Reader, tmp string, keep keepFunc) (_ *contents, err error) {
	c := &contents{}
	defer func() {
		if err != nil {
			c.remove()
		}
	}()
	tr := tar.NewReader(r)
	if err := readJSON(tr, headerName, &c.header); err != nil {
		return nil, err
	}
	h := c.header
	if h.Format != formatName {
		return nil, invalid("its header says format %q", h.Format)
	}
	if h.Version != Version {
		return nil, invalid("it has format version %d; this herodb reads version %d", h.Version, Version)
	}
	if h.Kind != KindDatabase && h.Kind != KindNode {
		return nil, invalid("its header says kind %q", h.Kind)
	}
	want, err := keep(h)
	if err != nil {
		return nil, err
	}
	if h.Kind == KindNode {
		c.db0 = &staged{}
		if err := readJSON(tr, db0Meta, &c.db0.entry); err != nil {
			return nil, err
		}
		if !c.db0.entry.File || c.db0.entry.ID != 0 {
			return nil, invalid("its DB 0 entry has no file")
		}
		if c.db0.path, err = readFile(tr, db0File, c.db0.entry, tmp, want(0)); err != nil {
			return nil, err
		}
		slots := dbEntry{Size: c.db0.entry.SlotsSize, SHA256: c.db0.entry.SlotsSHA256}
		if c.slots, err = readFile(tr, slotsFile, slots, tmp, want(0)); err != nil {
			return nil, err
		}
	}
	for {
		hdr, err := next(tr)
		if err != nil {
			return nil, err
		}
		if hdr.Name == endName {
			if err := decodeJSON(tr, hdr, &c.end); err != nil {
				return nil, err
			}
			break
		}
		s := &staged{}
		if err := decodeJSON(tr, hdr, &s.entry); err != nil {
			return nil, err
		}
		id := s.entry.ID
		if id == 0 || hdr.Name != dbMetaName(id) {
			return nil, invalid("an entry %q where a database's entry or end.json belongs", hdr.Name)
		}
		if n := len(c.dbs); n > 0 && c.dbs[n-1].entry.ID >= id {
			return nil, invalid("database %d comes after database %d", id, c.dbs[n-1].entry.ID)
		}
		if h.Kind == KindDatabase && len(c.dbs) == 1 {
			return nil, invalid("a database backup holding more than one database")
		}
		// Term 1, or once a key rotation destroyed it the naming keys (entry 0).
		if _, err := decodeKeys(s.entry.Keys); err != nil || (s.entry.Keys["1"] == "" && s.entry.Keys["0"] == "") {
			return nil, invalid("database %d's entry has no valid keys", id)
		}
		if s.entry.File {
			if s.path, err = readFile(tr, dbFileName(id), s.entry, tmp, want(id)); err != nil {
				return nil, err
			}
		}
		c.dbs = append(c.dbs, s)
	}
	if c.end.Databases != len(c.dbs) {
		return nil, invalid("end.json counts %d databases and the backup holds %d", c.end.Databases, len(c.dbs))
	}
	if _, err := tr.Next(); err != io.EOF {
		if err == nil {
			return nil, invalid("entries after end.json")
		}
		return nil, broken(err)
	}
	// What follows the archive's end is its padding; reading it to the end is what tells
	// a stream that broke off (a decryption that failed at the last chunk) from one that
	// ended.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, broken(err)
	}
	return c, nil
}

// broken is a read of the backup that failed: cut short, or the stream broke off.
func broken(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return invalid("it is cut short")
	}
	if errors.Is(err, tar.ErrHeader) {
		return invalid("its archive is damaged")
	}
	return invalid("reading it failed: %v", err)
}

func next(tr *tar.Reader) (*tar.Header, error) {
	hdr, err := tr.Next()
	if err != nil {
		return nil, broken(err)
	}
	if hdr.Typeflag != tar.TypeReg || strings.Contains(hdr.Name, "..") {
		return nil, invalid("an entry %q that is not a plain file", hdr.Name)
	}
	return hdr, nil
}

func readJSON(tr *tar.Reader, name string, v any) error {
	hdr, err := next(tr)
	if err != nil {
		return err
	}
	if hdr.Name != name {
		return invalid("an entry %q where %s belongs", hdr.Name, name)
	}
	return decodeJSON(tr, hdr, v)
}

func decodeJSON(tr *tar.Reader, hdr *tar.Header, v any) error {
	if hdr.Size > maxJSON {
		return invalid("its entry %s is %d bytes", hdr.Name, hdr.Size)
	}
	raw, err := io.ReadAll(tr)
	if err != nil {
		return broken(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("its entry %s is not what this herodb reads: %v", hdr.Name, err)
	}
	return nil
}

// readFile reads the file entry name that e describes, checking its size and digest;
// kept, it is written into tmp and its path returned.
func readFile(tr *tar.Reader, name string, e dbEntry, tmp string, kept bool) (path string, err error) {
	hdr, err := next(tr)
	if err != nil {
		return "", err
	}
	if hdr.Name != name {
		return "", invalid("an entry %q where %s belongs", hdr.Name, name)
	}
	if hdr.Size != e.Size {
		return "", invalid("%s is %d bytes and its entry says %d", name, hdr.Size, e.Size)
	}
	dst := io.Discard
	if kept {
		f, ferr := os.CreateTemp(tmp, "restore-*") // not err: the deferred removal reads the result
		if ferr != nil {
			return "", ferr
		}
		path = f.Name()
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = cerr
			}
			if err != nil {
				os.Remove(path)
				path = ""
			}
		}()
		dst = f
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(dst, h), tr)
	if err != nil {
		return path, broken(err)
	}
	if n != e.Size {
		return path, invalid("%s is cut short", name)
	}
	if hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
		return path, invalid("%s does not match its digest", name)
	}
	return path, nil
}
