// Package backup writes and restores herodb's hot backups: a consistent copy of one
// database, or of a whole node with DB 0, encrypted with age to a recipient the operator
// holds, and self-contained (it restores without the source node's keys).
//
// # Format, version 1
//
// A backup is an age file (X25519 recipient; `age -d -i key.txt FILE` opens it with the
// standard tool) whose plaintext is a POSIX tar archive holding, in this order:
//
//	herodb-backup.json  {"format":"herodb-backup","version":1,"kind":"database"|"node",
//	                     "created_at":<unix ms>,"herodb":"<version>"}
//	db0.json, 0.db      node backups only: DB 0's entry and its file, then
//	shred.slots         the databases' key slots (admin.ShredFileName), without which
//	                    no wrapped key in 0.db opens
//	db/<id>.json        one per database: id, name, backend, max_size, created_at, the
//	                    database's data keys by key term (base64), and its file's
//	                    presence, size and SHA-256
//	db/<id>.db          its file, when it has one (a database never written to has none)
//	end.json            {"databases":<n>,"skipped":[ids]}: a backup without it was cut short
//
// Each file is the database's bbolt file as a flush left it (storage.DB.Snapshot):
// records stay sealed under the database's keys, which the entry carries. Carrying the
// keys rather than the records opened keeps the format this small and needs no code per
// data type: restore opens the file with those keys and reseals every record, of every
// type, under the new database's id and key (storage.CopyKey). The plaintext is thus as
// sensitive as the database itself; age is what protects it.
//
// Age authenticates every 64 KiB chunk and marks the last one, so a flipped byte or a cut
// file fails to decrypt; restore also checks each file's size and SHA-256 against its
// entry, and end.json, before it creates anything. Age does not authenticate the
// sender: anyone holding the recipient (a public key) can make a file that restores.
// A restored database has no access key and is private, whatever the backup holds.
package backup

import (
	"encoding/base64"
	"fmt"
	"strconv"
)

// Version is the backup format this build writes and reads; any other is refused.
const Version = 1

// formatName is the header's magic.
const formatName = "herodb-backup"

// Kinds of backup.
const (
	KindDatabase = "database" // one database
	KindNode     = "node"     // DB 0 and every live database
)

// Entry names inside the tar archive.
const (
	headerName = "herodb-backup.json"
	db0Meta    = "db0.json"
	db0File    = "0.db"
	slotsFile  = "shred.slots" // admin.ShredFileName
	endName    = "end.json"
)

func dbMetaName(id uint64) string { return "db/" + strconv.FormatUint(id, 10) + ".json" }
func dbFileName(id uint64) string { return "db/" + strconv.FormatUint(id, 10) + ".db" }

// maxJSON bounds a JSON entry: they are small, and restore reads them whole.
const maxJSON = 1 << 20

// header is the archive's first entry.
type header struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Kind      string `json:"kind"`
	CreatedAt int64  `json:"created_at"` // unix ms
	Herodb    string `json:"herodb,omitempty"`
}

// dbEntry describes one database of the backup; DB 0's has no keys (its key is under
// the admin secret, which a node restore needs anyway).
type dbEntry struct {
	ID        uint64            `json:"id"`
	Name      string            `json:"name,omitempty"`
	Backend   string            `json:"backend,omitempty"`
	MaxSize   int64             `json:"max_size"`
	CreatedAt int64             `json:"created_at"`
	Keys      map[string]string `json:"keys,omitempty"` // key term → base64 data key
	File      bool              `json:"file"`
	Size      int64             `json:"size"`
	SHA256    string            `json:"sha256,omitempty"` // hex, of the file
	// DB 0's entry only: the slot file's size and digest.
	SlotsSize   int64  `json:"slots_size,omitempty"`
	SlotsSHA256 string `json:"slots_sha256,omitempty"`
}

// end is the archive's last entry.
type end struct {
	Databases int      `json:"databases"`
	Skipped   []uint64 `json:"skipped,omitempty"` // deleted while a node backup ran
}

func encodeKeys(keys map[uint32][]byte) map[string]string {
	out := make(map[string]string, len(keys))
	for t, k := range keys {
		out[strconv.FormatUint(uint64(t), 10)] = base64.StdEncoding.EncodeToString(k)
	}
	return out
}

func decodeKeys(in map[string]string) (map[uint32][]byte, error) {
	out := make(map[uint32][]byte, len(in))
	for t, k := range in {
		term, err := strconv.ParseUint(t, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("a key term %q that is not a number", t)
		}
		raw, err := base64.StdEncoding.DecodeString(k)
		if err != nil {
			return nil, fmt.Errorf("key term %d is not base64", term)
		}
		out[uint32(term)] = raw
	}
	return out, nil
}
