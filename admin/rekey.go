package admin

// Changing the admin secret (rekey). The secret only derives KEK0 (Argon2id, with the
// salt and parameters of DB 0's kdf record), and KEK0 only wraps DEK0, under which every
// other key is wrapped. So a new secret needs a new salt, a new KEK0 and a new wrap of
// DEK0, and nothing else: the kdf record and dek0 are rewritten in one bbolt
// transaction of 0.db, fsynced, and no data file, log segment or other wrapped key
// changes. bbolt makes a transaction visible by writing its meta page last, so a crash
// at any point leaves 0.db with the old pair (the old secret works) or the new pair (the
// new one works), never a mix: exactly one of the two secrets opens the directory.
//
// A file that holds the secret for the server (--dev's dev-admin-secret) is rewritten
// around that commit: the new secret goes to <file>.new, fsynced, before the commit, and
// is renamed over the file after it. A crash between the two leaves both files, one of
// which opens the directory; serve --dev tries the file, then <file>.new
// (ResolveSecretFile).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/storage"
)

// RekeyStep names a point of a change of the admin secret, in the order they are
// reached. Tests stop the process at each to show the crash safety above.
type RekeyStep string

const (
	StepVerified  RekeyStep = "verified"  // the old secret opened DEK0 (offline rekey only)
	StepWrapped   RekeyStep = "wrapped"   // a new KEK0 derived and DEK0 wrapped under it, in memory
	StepPrepared  RekeyStep = "prepared"  // the secret file's <file>.new written and fsynced
	StepCommitted RekeyStep = "committed" // the new kdf record and dek0 written to 0.db, fsynced
	StepDone      RekeyStep = "done"      // the new secret in use (online) and the secret file renamed
)

// RekeySteps lists the steps in order.
var RekeySteps = []RekeyStep{StepVerified, StepWrapped, StepPrepared, StepCommitted, StepDone}

// Rotation says how a change of the admin secret runs besides the secrets themselves.
type Rotation struct {
	// SecretFile, when set, is a file holding the secret that the server reads at start
	// (--dev's dev-admin-secret); it is rewritten with the new secret (see above).
	SecretFile string
	// Step, when set, is called at each step, in order (a test's cut points).
	Step func(RekeyStep)
}

func (r Rotation) step(s RekeyStep) {
	if r.Step != nil {
		r.Step(s)
	}
}

// digest holds the admin secret's digest, replaced whole by RotateSecret while
// credentials are being checked.
type digest = atomic.Pointer[[32]byte]

// rotation is an Admin's Rotation, and the lock that runs one change at a time.
type rotation struct {
	mu  sync.Mutex
	cfg Rotation
}

// SetRotation sets how RotateSecret runs on this server (serve --dev names its secret
// file). Call it before the RPC serves.
func (a *Admin) SetRotation(r Rotation) {
	a.rot.mu.Lock()
	a.rot.cfg = r
	a.rot.mu.Unlock()
}

func (a *Admin) setSecret(secret []byte) {
	d := crypto.Digest(secret)
	a.secret.Store(&d)
}

// CheckNewSecret says whether secret may become the admin secret: 16 bytes or more, and
// no line break (a secret file is read up to its line end, so such a secret could never
// be given back from one).
func CheckNewSecret(secret []byte) error {
	switch {
	case len(secret) < 16:
		return Errorf(EINVALID, "the new admin secret must be 16 bytes or more")
	case bytes.ContainsAny(secret, "\r\n"):
		return Errorf(EINVALID, "the new admin secret must not hold a line break")
	}
	return nil
}

// RotateSecret makes newSecret the admin secret of the running server. DEK0 stays, so
// nothing but DB 0's kdf record and dek0 is rewritten. Connections and RPC callers
// authenticated with the old secret lose it at their next command (changeCredentials);
// the old secret opens nothing from the moment this returns, and the next start needs
// the new one.
func (a *Admin) RotateSecret(newSecret []byte) error {
	if err := CheckNewSecret(newSecret); err != nil {
		return err
	}
	a.rot.mu.Lock()
	defer a.rot.mu.Unlock()
	if a.CheckAdminSecret(newSecret) {
		return Errorf(EINVALID, "the new admin secret is the current one")
	}
	rec, err := readKDF(a.db0)
	if err != nil {
		return err
	}
	// Open has sealed the registrations by now (prepareRegistry), so DEK0 has the sealed
	// wrap.
	return rewrapDEK0(a.db0, a.dek0, db0SealedAAD, rec.Params, newSecret, a.rot.cfg, func() {
		a.setSecret(newSecret)
		a.changeCredentials()
	})
}

// Rekey changes the admin secret of a stopped data directory from oldSecret to
// newSecret. A wrong oldSecret fails with EWRONGSECRET and rewrites nothing; a running
// server's lock on 0.db fails with storage.ErrDBInUse (use RotateSecret through the RPC).
func Rekey(dir string, oldSecret, newSecret []byte, r Rotation) error {
	if len(oldSecret) == 0 {
		return Errorf(EINVALID, "no old admin secret given")
	}
	if err := CheckNewSecret(newSecret); err != nil {
		return err
	}
	if bytes.Equal(oldSecret, newSecret) {
		return Errorf(EINVALID, "the new admin secret is the current one")
	}
	path := filepath.Join(dir, "0.db")
	if _, err := os.Stat(path); err != nil {
		return Errorf(ENOTFOUND, "no herodb data directory at %s (no 0.db)", dir)
	}
	// SyncAlways: every commit of this short session is fsynced.
	db0, err := storage.Open(path, 0, storage.Options{Sync: storage.SyncAlways})
	if err != nil {
		if errors.Is(err, storage.ErrDBInUse) {
			return fmt.Errorf("%s is in use by a running server: stop it, or rotate online (herodb admin rotate-secret): %w", dir, storage.ErrDBInUse)
		}
		return err
	}
	defer db0.Close()
	rec, err := readKDF(db0) // its parameters are kept
	if err != nil {
		return err
	}
	// The wrap keeps its associated data (aad): a directory from before the registration
	// check still migrates at its next start, now under the new secret.
	dek0, _, aad, err := openDEK0(db0, oldSecret, dir)
	if err != nil {
		return err
	}
	r.step(StepVerified)
	kr, err := crypto.NewKeyring(map[uint32][]byte{1: dek0})
	if err != nil {
		return err
	}
	if err := db0.Unlock(kr); err != nil {
		return err
	}
	return rewrapDEK0(db0, dek0, aad, rec.Params, newSecret, r, func() {})
}

// readKDF reads DB 0's kdf record.
func readKDF(db0 *storage.DB) (kdfRecord, error) {
	var rec kdfRecord
	raw, err := db0.SysGet("kdf")
	if err != nil {
		return rec, err
	}
	if raw == nil || json.Unmarshal(raw, &rec) != nil {
		return rec, fmt.Errorf("DB 0 has an unreadable kdf record: %w", storage.ErrFormat)
	}
	return rec, nil
}

// openDEK0 derives the key-encryption key from secret with DB 0's kdf record and unwraps
// DB 0's data key with it: the one place the admin secret is checked against a data
// directory (the server's start, herodb check, rekey and its recovery). aad says which
// wrap it was: db0SealedAAD, or db0AAD for a directory from before the registration
// check (which the caller migrates). A secret that opens neither is EWRONGSECRET.
func openDEK0(db0 *storage.DB, secret []byte, dir string) (dek0, kek, aad []byte, err error) {
	rec, err := readKDF(db0)
	if err != nil {
		return nil, nil, nil, err
	}
	salt, err := base64.StdEncoding.DecodeString(rec.Salt)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("DB 0 has an unreadable kdf salt: %w", storage.ErrFormat)
	}
	wrapped, err := db0.SysGet("dek0")
	if err != nil {
		return nil, nil, nil, err
	}
	kek = crypto.DeriveKEK(secret, salt, rec.Params)
	for _, aad := range [][]byte{db0SealedAAD, db0AAD} {
		if dek0, err := crypto.Unwrap(kek, aad, wrapped); err == nil {
			return dek0, kek, aad, nil
		}
	}
	return nil, nil, nil, Errorf(EWRONGSECRET, "admin secret does not match the data in %s", dir)
}

// rewrapDEK0 is the change itself, in the order the package comment gives: DEK0 wrapped
// under a key derived from newSecret with a new salt (the directory's KDF parameters
// kept), the secret file's successor written, the kdf record and dek0 committed in one
// transaction and fsynced, then use (the new secret in memory), then the secret file
// renamed.
func rewrapDEK0(db0 *storage.DB, dek0, aad []byte, params crypto.KDFParams, newSecret []byte, r Rotation, use func()) error {
	salt := crypto.Random(16)
	wrapped, err := crypto.Wrap(crypto.DeriveKEK(newSecret, salt, params), aad, dek0)
	if err != nil {
		return err
	}
	rec, err := json.Marshal(kdfRecord{Salt: base64.StdEncoding.EncodeToString(salt), Params: params})
	if err != nil {
		return err
	}
	r.step(StepWrapped)
	next := r.SecretFile + ".new"
	if r.SecretFile != "" {
		if err := writeSynced(next, append(append([]byte(nil), newSecret...), '\n')); err != nil {
			return fmt.Errorf("write %s: %w", next, err)
		}
	}
	r.step(StepPrepared)
	if err := db0.Update(func(tx *storage.Tx) error {
		if err := tx.SysPut("kdf", rec); err != nil {
			return err
		}
		return tx.SysPut("dek0", wrapped)
	}); err != nil {
		if r.SecretFile != "" {
			os.Remove(next)
		}
		return err
	}
	if err := db0.Sync(); err != nil {
		// Written but perhaps not durable: the new secret opens 0.db as the process sees
		// it, so it is the one in use; the caller hears of the fsync failure.
		use()
		return fmt.Errorf("fsync 0.db after the rekey: %w", err)
	}
	r.step(StepCommitted)
	use()
	if r.SecretFile != "" {
		if err := os.Rename(next, r.SecretFile); err != nil {
			return fmt.Errorf("the admin secret changed, but %s could not replace %s (it holds the new secret): %w", next, r.SecretFile, err)
		}
		syncDir(filepath.Dir(r.SecretFile))
	}
	r.step(StepDone)
	return nil
}

// writeSynced writes a file of mode 0600 and fsyncs it.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir fsyncs a directory so a file made or renamed in it survives a power cut; a
// platform that cannot fsync a directory is not an error.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ResolveSecretFile reads the admin secret kept in file for the data directory dir
// (--dev's dev-admin-secret), finishing a change of the secret that a crash cut short:
// when <file>.new exists too, the one of the two that opens dir is kept as file and the
// other removed. With no <file>.new it only reads file. The secret is the file's first
// line.
func ResolveSecretFile(dir, file string) ([]byte, error) {
	cur, err := readSecretFile(file)
	if err != nil {
		return nil, err
	}
	next, err := readSecretFile(file + ".new")
	if errors.Is(err, os.ErrNotExist) {
		return cur, nil
	}
	if err != nil {
		return nil, err
	}
	db0, err := storage.Open(filepath.Join(dir, "0.db"), 0, storage.Options{Sync: storage.SyncAlways})
	if err != nil {
		return nil, err
	}
	opens := func(secret []byte) bool {
		_, _, _, err := openDEK0(db0, secret, dir)
		return err == nil
	}
	useCur, useNext := opens(cur), false
	if !useCur {
		useNext = opens(next)
	}
	db0.Close()
	switch {
	case useCur: // cut before the commit: the new secret never took
		return cur, os.Remove(file + ".new")
	case useNext: // cut after it: the new secret is the one
		if err := os.Rename(file+".new", file); err != nil {
			return nil, err
		}
		syncDir(filepath.Dir(file))
		return next, nil
	}
	return cur, nil // neither: startup reports the wrong secret
}

func readSecretFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return bytes.TrimRight(line, "\r"), nil
}
