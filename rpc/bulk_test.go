package rpc_test

import (
	"encoding/json"
	"testing"

	"github.com/seed6aa118f9/herodb/rpc"
)

// TestCreateDatabasesBulk: createDatabases makes count databases in one call, ids in
// order, every one usable and listed; bad counts and options are refused whole.
func TestCreateDatabasesBulk(t *testing.T) {
	e := newRPCEnv(t)
	call := e.callFn()
	var ids []uint64
	if err := json.Unmarshal(mustOK(t, call, "herodb_createDatabases", []any{250, map[string]any{"public": "read"}}), &ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 250 {
		t.Fatalf("%d ids, want 250", len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("ids not consecutive at %d: %d then %d", i, ids[i-1], ids[i])
		}
	}
	var info struct {
		ID     uint64 `json:"id"`
		Public any    `json:"public"`
	}
	if err := json.Unmarshal(mustOK(t, call, "herodb_getDatabaseInfo", []any{ids[249]}), &info); err != nil {
		t.Fatal(err)
	}
	if info.ID != ids[249] || info.Public != "read" {
		t.Errorf("getDatabaseInfo of the last: %+v, want public \"read\"", info)
	}
	// Named params, default options.
	var more []uint64
	if err := json.Unmarshal(mustOK(t, call, "herodb_createDatabases", map[string]any{"count": 3}), &more); err != nil || len(more) != 3 || more[0] != ids[249]+1 {
		t.Fatalf("createDatabases {count: 3}: %v %v", more, err)
	}
	for _, bad := range []any{0, 10001, -1, 1.5, "10", nil} {
		mustFail(t, call, "herodb_createDatabases", []any{bad}, rpc.CodeInvalidParams, "count")
	}
	mustFail(t, call, "herodb_createDatabases", []any{2, map[string]any{"name": "x"}}, rpc.CodeInvalidParams, "name")
	mustFail(t, call, "herodb_createDatabases", []any{2, map[string]any{"max_size": -5}}, rpc.CodeInvalidParams, "max_size")
	mustFail(t, call, "herodb_createDatabases", []any{2, map[string]any{"backend": "Tantivy"}}, rpc.CodeUnsupported, "not supported")
	mustFail(t, call, "herodb_createDatabases", []any{2, map[string]any{"public": "yes"}}, rpc.CodeInvalidParams, "public")
	// Nothing was made by the refused calls: the next id follows on.
	var one []uint64
	if err := json.Unmarshal(mustOK(t, call, "herodb_createDatabases", []any{1}), &one); err != nil || len(one) != 1 || one[0] != more[2]+1 {
		t.Fatalf("createDatabases [1] after refused calls: %v %v, want id %d", one, err, more[2]+1)
	}
}
