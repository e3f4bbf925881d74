package admin

// Listing the databases (issue 14: a million databases on one node). A page walks the ids
// above a cursor upward, looking each up in the registry: ids are given in increasing
// order and never reused, and the registry keeps deleted databases' snapshots, so nothing
// is sorted and a page costs at most a bounded scan of ids, whatever the number of
// databases. No listing opens a file: a database's key count is shown only when its file
// is already open in the cache, and its size comes from os.Stat.
//
// Consistency under churn: a page takes each database's snapshot under a.mu, and the
// cursor it returns is the last id it looked at. Pages thus never overlap, and together
// they cover every id from the first to the last one given: a database that exists for
// the whole walk is in exactly one page. One created meanwhile may or may not be (its id
// may lie below the cursor); one deleted meanwhile is left out or not, never an error.

import (
	"os"

	"github.com/seed6aa118f9/herodb/storage"
)

// The ids one page scans: listScanPerLimit for each database asked for, at least
// listScanMin. A page whose scan ends before it has limit databases (the ids were those
// of deleted databases) returns what it found, perhaps nothing, with a cursor to go on.
// Variables so tests can make scans short.
var (
	listScanPerLimit = 64
	listScanMin      = 4096
)

// Listed is a database as listDatabases shows it: its Info, except that key_count is
// null when the database's file is not open (a listing never opens a file;
// getDatabaseInfo opens it and counts). Info.KeyCount is set too when it is known.
type Listed struct {
	Info
	// KeyCount is the number of keys in the database, or nil when its file is not open.
	// It shadows Info.KeyCount in JSON: "key_count" is this field, null or a number.
	KeyCount *int64 `json:"key_count"`
}

// ListDatabases returns the live databases with ids above after, in id order: at most
// limit of them, from a scan of a bounded number of ids (so a page may hold fewer, even
// none, yet have more after it). next is the cursor of the following page (the last id
// this page looked at) and more says whether there are ids above it to look at; when
// more is false the listing is complete. A page opens no file. Errors: EINVALID (limit
// below 1), or a failure to read DB 0.
func (a *Admin) ListDatabases(after uint64, limit int) (page []*Listed, next uint64, more bool, err error) {
	if limit < 1 {
		return nil, after, false, Errorf(EINVALID, "limit must be at least 1")
	}
	top, err := a.nextDatabaseID()
	if err != nil {
		return nil, after, false, err
	}
	// top is the next id to be given: ids 1 .. top-1 have been.
	if top == 0 || after >= top-1 {
		return []*Listed{}, after, false, nil
	}
	scan := uint64(max(limit*listScanPerLimit, listScanMin))
	last := top - 1
	if last-after > scan {
		last = after + scan
	}
	dbs := make([]*Database, 0, min(limit, int(last-after)))
	for id := after + 1; id <= last; id++ {
		if d := a.lookup(id); d != nil && !d.Deleted() {
			dbs = append(dbs, d)
			if len(dbs) == limit {
				last = id
				break
			}
		}
	}

	// No lock is held from here on: Peek takes the file cache's (storage/manager.go).
	page = make([]*Listed, 0, len(dbs))
	for _, d := range dbs {
		page = append(page, a.listed(d))
	}
	// A database deleted while its entry was made is left out, as if the walk had come
	// after the deletion.
	kept := page[:0]
	for _, l := range page {
		if d := a.lookup(l.ID); d != nil && !d.Deleted() {
			kept = append(kept, l)
		}
	}
	clear(page[len(kept):])
	return kept, last, last < top-1, nil
}

// AllDatabases lists every live database as ListDatabases shows them, page after page, if
// there are at most limit of them; with more, ok is false and the list nil (the walk stops
// at the first database past limit, so refusing costs no more than listing limit).
func (a *Admin) AllDatabases(limit int) (list []*Listed, ok bool, err error) {
	list = []*Listed{}
	var after uint64
	for {
		page, next, more, err := a.ListDatabases(after, 1000)
		if err != nil {
			return nil, false, err
		}
		list = append(list, page...)
		if len(list) > limit {
			return nil, false, nil
		}
		if !more {
			return list, true, nil
		}
		after = next
	}
}

// nextDatabaseID is the id the next database will get (admin:next_id in DB 0).
func (a *Admin) nextDatabaseID() (uint64, error) {
	var top uint64
	err := a.db0.View(func(tx *storage.Tx) error {
		var err error
		top, err = nextID(tx)
		return err
	})
	return top, err
}

// infoOf is the registration part of d's Info: everything but the file's size and key
// count.
func infoOf(d *Database) Info {
	var name *string
	if d.Name != "" {
		name = &d.Name
	}
	return Info{ID: d.ID, Name: name, Backend: d.Backend, Encrypted: true, Public: PublicJSON(d.Public),
		CreatedAt: d.CreatedAt, LastAccess: d.LastAccess(), MaxSize: d.MaxSize}
}

// listed describes d without opening its file: the key count only if the file is open
// in the cache (and can be read), the size from the file system.
func (a *Admin) listed(d *Database) *Listed {
	l := &Listed{Info: infoOf(d)}
	if err := d.Unusable(); err != nil {
		l.Unusable = ErrorMessage(err) // as DatabaseInfo: its file is not looked at
		return l
	}
	if db, release, ok := a.files.Peek(d.ID); ok {
		var n int64
		if db.View(func(tx *storage.Tx) error { n = tx.DBSize(); return nil }) == nil {
			l.KeyCount, l.Info.KeyCount = &n, n
		}
		release()
	}
	if fi, err := os.Stat(a.files.Path(d.ID)); err == nil {
		l.SizeOnDisk = fi.Size()
	}
	return l
}
