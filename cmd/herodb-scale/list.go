package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// listResult is what timing listDatabases found.
type listResult struct {
	paginated  bool
	pageErr    string        // why the paginated form was not used (its error or reply shape)
	firstPage  time.Duration // paginated: the first page
	walk       time.Duration // paginated: every page up to the cap
	pages      int
	walked     int  // databases listed
	dups       int  // ids listed twice
	capped     bool // the walk stopped at -list-max
	live       int  // getServerInfo's count, what the walk should equal
	liveErr    string
	plain      time.Duration // the plain positional call
	plainCount int
	plainErr   string
}

// page is the paginated reply issue 14 item 3 describes.
type page struct {
	Databases []struct {
		ID uint64 `json:"id"`
	} `json:"databases"`
	Cursor json.RawMessage `json:"cursor"`
}

// list times listDatabases: paged with named params when the server has that form (a
// reply that is an object with "databases"), walking every page up to max databases;
// and always the plain call, which a large node may refuse (asking to paginate) or take
// long over; its error is reported, not fatal.
func (s *server) list(limit, maxWalk int) *listResult {
	r := &listResult{}
	if n, err := s.databaseCount(); err != nil {
		r.liveErr = errorKind(err)
	} else {
		r.live = n
	}
	s.listPaged(r, limit, maxWalk)
	s.listPlain(r)
	return r
}

// listPaged walks the pages, passing each reply's cursor back as it came (a number or a
// string: the server's choice), and checks no id is listed twice.
func (s *server) listPaged(r *listResult, limit, maxWalk int) {
	seen := map[uint64]bool{}
	var cursor json.RawMessage = []byte("null")
	t0 := time.Now()
	for {
		var raw json.RawMessage
		tp := time.Now()
		err := s.call("herodb_listDatabases", map[string]any{"cursor": cursor, "limit": limit}, &raw)
		d := time.Since(tp)
		if err != nil {
			r.pageErr = errorKind(err)
			return
		}
		var p page
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(raw, &p) != nil || p.Databases == nil {
			r.pageErr = fmt.Sprintf("the reply to named {cursor, limit} is not a page: %s", clip(string(raw), 80))
			return
		}
		if r.pages == 0 {
			r.paginated, r.firstPage = true, d
		}
		r.pages++
		for _, db := range p.Databases {
			if seen[db.ID] {
				r.dups++
			}
			seen[db.ID] = true
		}
		r.walked += len(p.Databases)
		if len(p.Cursor) == 0 || string(p.Cursor) == "null" {
			break
		}
		if maxWalk > 0 && r.walked >= maxWalk {
			r.capped = true
			break
		}
		cursor = p.Cursor
	}
	r.walk = time.Since(t0)
}

// listPlain times the positional call with no params, HeroDB's form.
func (s *server) listPlain(r *listResult) {
	var all []json.RawMessage
	t0 := time.Now()
	err := s.call("herodb_listDatabases", []any{}, &all)
	r.plain = time.Since(t0)
	if err != nil {
		r.plainErr = errorKind(err)
		return
	}
	r.plainCount = len(all)
}
