// Package rpc is herodb's JSON-RPC 2.0 management API: one transport-neutral method
// table, served over HTTP POST and a Unix socket. It is a thin transport over admin.
package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed6aa118f9/herodb/admin"
)

// Right is what a caller needs to call a method.
type Right int

const (
	RightAny        Right = iota // any valid credential
	RightAdmin                   // the admin secret, an admin-scoped token, or the socket
	RightTokenRead               // a token scope with read (or admin)
	RightTokenWrite              // a token scope with write (or admin)
)

func (r Right) String() string {
	return [...]string{"any valid credential", "admin", "token read", "token write"}[r]
}

// Caller is who is calling: the grant of its credential. The Unix socket's callers are
// the admin (the socket file's permission is the authentication).
type Caller struct {
	Grant *admin.Grant
}

func (c *Caller) has(r Right) bool {
	switch r {
	case RightAny:
		return c.Grant != nil
	case RightAdmin:
		return c.Grant != nil && c.Grant.Admin
	case RightTokenRead:
		return c.Grant != nil && (c.Grant.Admin || c.Grant.TokenRead)
	case RightTokenWrite:
		return c.Grant != nil && (c.Grant.Admin || c.Grant.TokenWrite)
	}
	return false
}

// Method is one row of the method table: dispatch, docs/rpc.md and rpc.discover read it.
type Method struct {
	Name    string // without prefix: callable as herodb_<Name> and hero_<Name>
	Summary string
	Params  []Param
	Result  string // JSON schema type of the result
	Right   Right
	Errors  []int64
	Example string // positional params of a curl example
	call    func(ctx context.Context, s *Service, c *Caller, a *args) (any, error)
}

func (m *Method) paramIndex(name string) int {
	for i, p := range m.Params {
		if p.Name == name {
			return i
		}
	}
	return -1
}

func (m *Method) signature() string {
	names := make([]string, len(m.Params))
	for i, p := range m.Params {
		names[i] = p.Name
		if p.Optional {
			names[i] += "?"
		}
	}
	return strings.Join(names, ", ")
}

// Config is what the service needs.
type Config struct {
	Admin *admin.Admin
	// Info returns the server's facts for getServerInfo (version, uptime, connections).
	Info   func() map[string]any
	Logger *slog.Logger
	// MaxBatchReply caps an HTTP batch's reply body, in bytes (0: DefaultMaxBatchReply,
	// 16 MiB). The body stays within it as long as it exceeds the error objects that may
	// stand for the whole batch (about 400 bytes a call plus the ids it echoes), which
	// any cap over 2 MiB does.
	MaxBatchReply int
	// Metrics is what /metrics serves (nil: 404); Ready answers /readyz (nil: ready).
	// rpc/metrics.go.
	Metrics prometheus.Gatherer
	Ready   func() bool
}

// Service is the method table bound to one admin.
type Service struct {
	cfg     Config
	log     *slog.Logger
	methods map[string]*Method
}

// NewService builds the service; every method answers to herodb_<name> and hero_<name>.
func NewService(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Info == nil {
		cfg.Info = func() map[string]any { return map[string]any{} }
	}
	s := &Service{cfg: cfg, log: cfg.Logger, methods: map[string]*Method{}}
	for _, m := range methodTable() {
		s.methods["herodb_"+m.Name] = m
		s.methods["hero_"+m.Name] = m
	}
	s.methods["rpc.discover"] = discoverMethod
	return s
}

// Methods lists the table in name order (rpc.discover last).
func Methods() []*Method {
	ms := methodTable()
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	return append(ms, discoverMethod)
}

// Call runs one method for caller. Every error it returns is a *jsonrpc2.Error; internal
// errors are logged here and reach the caller as "internal error".
func (s *Service) Call(ctx context.Context, c *Caller, method string, params *json.RawMessage) (any, error) {
	m := s.methods[method]
	if m == nil {
		return nil, rpcError(CodeMethodNotFound, fmt.Sprintf("method %q not found: methods are herodb_<name> or hero_<name>; rpc.discover lists them", clip(method)))
	}
	if c == nil || c.Grant == nil {
		return nil, rpcError(CodeUnauthorized, "no valid credential: send Authorization: Bearer <admin secret or token>")
	}
	if !c.has(m.Right) {
		return nil, rpcError(CodeForbidden, fmt.Sprintf("%s needs %s", method, m.Right))
	}
	a, err := decodeParams(m, params)
	if err != nil {
		return nil, err
	}
	res, err := m.call(ctx, s, c, a)
	if err != nil {
		e, internal := toRPCError(err)
		if internal {
			s.log.Error("rpc method failed", "method", method, "err", err)
		}
		return nil, e
	}
	return res, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// methodTable is every method herodb serves.
func methodTable() []*Method {
	idParam := Param{Name: "id", Schema: "integer|string", Doc: "database id, or its name"}
	return []*Method{
		{Name: "createDatabase", Summary: "Creates a database with its own random key; returns its id.",
			Params: []Param{
				{Name: "backend", Schema: "string", Doc: `"Redb", "Sled" or "bbolt" (all stored in bbolt); "Tantivy" and "Lance" are not supported`},
				{Name: "config", Schema: "object", Doc: `{name, storage_path (must be null), max_size (bytes on disk), redis_version (ignored), public (true|false|"read", default false)}`},
				{Name: "encryption_key", Schema: "string|null", Optional: true, Doc: "mixed into the database key; kept only wrapped, never returned"},
			},
			Result: "integer", Right: RightAdmin, Errors: []int64{CodeInvalidParams, CodeConflict, CodeUnsupported},
			Example: `["Redb",{"name":"app","storage_path":null,"max_size":null,"redis_version":null},null]`,
			call:    createDatabase},
		{Name: "createDatabases", Summary: "Creates count unnamed databases with the same options in one transaction (for provisioning): all or none; returns their ids in order.",
			Params: []Param{
				{Name: "count", Schema: "integer", Doc: "how many, 1 to 10000"},
				{Name: "options", Schema: "object|null", Optional: true, Doc: `{backend ("bbolt" by default), max_size (bytes on disk), public (true|false|"read", default false)}; no name: names are given one database at a time`},
			},
			Result: "array", Right: RightAdmin, Errors: []int64{CodeInvalidParams, CodeUnsupported},
			Example: `[100,{"public":false}]`, call: createDatabases},
		{Name: "listDatabases", Summary: "The live databases in id order, each as getDatabaseInfo describes it except that `key_count` is null when its file is not open (listing opens no file; getDatabaseInfo opens it and counts). " +
			"Given a cursor or a limit (named, or by position), one page: `{\"databases\": [...], \"cursor\": <next>}`; pass each reply's cursor back until it is null. A page may hold fewer than limit databases, even none, and still have a cursor. " +
			"A page skips or repeats no database that exists for the whole walk; one created or deleted meanwhile may be in it or not. " +
			"Without params (absent, null, [] or {}: HeroDB's form) the plain array of every live database, while there are at most 10,000; past that an error (-32602) that says to paginate.",
			Params: []Param{
				{Name: "cursor", Schema: "integer|null", Optional: true, Doc: "the previous page's cursor; null or absent: from the first database"},
				{Name: "limit", Schema: "integer|null", Optional: true, Doc: "the most databases in the page, 1 to 1000; null or absent: 100"},
			},
			Result: "object|array", Right: RightAdmin, Errors: []int64{CodeInvalidParams},
			Example: `{"cursor":null,"limit":100}`, call: listDatabases},
		{Name: "getDatabaseInfo", Summary: "id, name, backend, encrypted, public, size_on_disk, key_count, created_at, last_access, max_size; unusable (with the reason) when its registration failed its integrity check; " +
			"encryption: the key term new writes are sealed under, the terms whose keys exist, and the last key rotation's rewrite since the server started (`{running, term, pass, resealed, error}`), never a key.",
			Params: []Param{idParam}, Result: "object", Right: RightAdmin, Errors: []int64{CodeNotFound},
			Example: `[1]`, call: getDatabaseInfo},
		{Name: "deleteDatabase", Summary: "Destroys the database's key, then its file; its id and name are never reused.",
			Params: []Param{idParam}, Result: "boolean", Right: RightAdmin, Errors: []int64{CodeNotFound},
			Example: `[1]`, call: deleteDatabase},
		{Name: "checkDatabase", Summary: "Checks the database on the running server: its registration, its key, and its file walked in one read transaction (bbolt's consistency check, every sealed record authenticated, counts and indexes matched). " +
			"The report: `{\"files\": [...], \"problems\": [...], \"notes\": [...], \"ok\": bool}`; each problem names its file. A file refused at open (an older copy, another database's) is a problem, not an error.",
			Params: []Param{idParam}, Result: "object", Right: RightAdmin, Errors: []int64{CodeNotFound},
			Example: `[1]`, call: checkDatabase},
		{Name: "rotateDatabaseKey", Summary: "Adds a key term to the database: a new random data key, wrapped as the others are; new writes are sealed under it and old records still open under the term they name. " +
			"With rewrite, every record is resealed under the new term in the background, in bounded batches through the write path (writes go on), and the older terms are then destroyed (their wrapped keys rewrapped away under a new slot secret written in place, so no copy of them in DB 0 opens again); getDatabaseInfo's `encryption.rewrite` shows the progress, and a restart resumes it. " +
			"Returns `{\"term\", \"terms\", \"rewrite\"}`. A conflict (-32009) while a rewrite of the database runs.",
			Params: []Param{idParam,
				{Name: "rewrite", Schema: "boolean|null", Optional: true, Doc: "reseal every record under the new term, then destroy the older terms (default false)"}},
			Result: "object", Right: RightAdmin, Errors: []int64{CodeInvalidParams, CodeNotFound, CodeConflict},
			Example: `[1,true]`, call: rotateDatabaseKey},
		{Name: "acceptDatabaseFile", Summary: "Accepts the database's file as it is, after it was refused at open as an older copy than the one herodb last wrote (put back on purpose): it must still be this database's file; changes made since the copy was taken are lost, and no log frame is replayed onto it.",
			Params: []Param{idParam}, Result: "boolean", Right: RightAdmin, Errors: []int64{CodeNotFound},
			Example: `[1]`, call: acceptDatabaseFile},
		{Name: "addAccessKey", Summary: "Lets a key (16 bytes or more) open the database, read-only or read-write.",
			Params: []Param{idParam,
				{Name: "key", Schema: "string", Doc: "the access key; only its SHA-256 is stored"},
				{Name: "permissions", Schema: "string", Doc: `"read" or "readwrite"`}},
			Result: "boolean", Right: RightAdmin, Errors: []int64{CodeInvalidParams, CodeNotFound},
			Example: `[1,"a-key-of-at-least-16-bytes","readwrite"]`, call: addAccessKey},
		{Name: "listAccessKeys", Summary: "The database's keys as {hash, permissions, created_at}; never a key.",
			Params: []Param{idParam}, Result: "array", Right: RightAdmin, Errors: []int64{CodeNotFound},
			Example: `[1]`, call: listAccessKeys},
		{Name: "deleteAccessKey", Summary: "Removes a key by its SHA-256 hash; connections using it lose access at their next command.",
			Params: []Param{idParam, {Name: "hash", Schema: "string", Doc: "sha256 hex of the key, as listAccessKeys shows it"}},
			Result: "boolean", Right: RightAdmin, Errors: []int64{CodeNotFound},
			Example: `[1,"<hash from listAccessKeys>"]`, call: deleteAccessKey},
		{Name: "setDatabasePublic", Summary: `Opens the database to anyone (true: read-write, "read": read-only) or closes it (false).`,
			Params: []Param{idParam, {Name: "public", Schema: "boolean|string", Doc: `true, false or "read"`}},
			Result: "boolean", Right: RightAdmin, Errors: []int64{CodeInvalidParams, CodeNotFound},
			Example: `[1,true]`, call: setDatabasePublic},
		{Name: "setDatabaseJwtKey", Summary: "Gives the database its own Ed25519 JWT public key (the tenant mints its own tokens); null removes it. Server-wide keys then no longer open it.",
			Params: []Param{idParam, {Name: "key", Schema: "string|null", Doc: "a PUBLIC KEY PEM block or a base64url 32-byte key; null removes it"}},
			Result: "boolean", Right: RightAdmin, Errors: []int64{CodeInvalidParams, CodeNotFound},
			Example: `[1,"MCowBQYDK2VwAyEA…"]`, call: setDatabaseJwtKey},
		{Name: "revokeJwt", Summary: "Refuses every JWT with this jti until exp, at once and on open connections.",
			Params: []Param{{Name: "jti", Schema: "string", Doc: "the token's jti claim"}, {Name: "exp", Schema: "integer", Doc: "unix seconds: when the token expires anyway"}},
			Result: "boolean", Right: RightAdmin, Errors: []int64{CodeInvalidParams},
			Example: `["3f2a-…",1800000000]`, call: revokeJwt},
		{Name: "reloadJwtKeys", Summary: "Reads the server-wide JWT keys again (as SIGHUP does); returns their ids.",
			Result: "array", Right: RightAdmin, Errors: []int64{CodeInvalidParams}, Example: `[]`, call: reloadJwtKeys},
		{Name: "createToken", Summary: "Creates a named token with scopes within the caller's own; the reply is the only one that holds the token.",
			Params: []Param{{Name: "name", Schema: "string", Doc: "what the token is for, e.g. \"ci\""},
				{Name: "scopes", Schema: "array", Doc: `[{"type":"database","name":"app"|"7"|"*","permissions":["read","write"]}, {"type":"token","name":"*","permissions":["read","write"]}, {"type":"admin"}]`},
				{Name: "expires_in", Schema: "integer|null", Optional: true, Doc: "seconds until it expires; null: never"}},
			Result: "object", Right: RightTokenWrite, Errors: []int64{CodeInvalidParams, CodeNotFound, CodeForbidden},
			Example: `["ci",[{"type":"database","name":"app","permissions":["read"]}],2592000]`, call: createToken},
		{Name: "listTokens", Summary: "The tokens within the caller's scopes: active ones, or all (expired and revoked too). Never a secret.",
			Params: []Param{{Name: "all", Schema: "boolean", Optional: true, Doc: "include expired and revoked tokens"}},
			Result: "array", Right: RightTokenRead, Example: `[false]`, call: listTokens},
		{Name: "getToken", Summary: "One token: id, name, scopes, created_at, updated_at, expires_at, last_used_at, created_by, revoked_at.",
			Params: []Param{{Name: "id", Schema: "string", Doc: "the token's id (16 hex characters)"}},
			Result: "object", Right: RightTokenRead, Errors: []int64{CodeNotFound}, Example: `["0123456789abcdef"]`, call: getToken},
		{Name: "revokeToken", Summary: "Revokes a token at once: open connections fail at their next command.",
			Params: []Param{{Name: "id", Schema: "string", Doc: "the token's id"}},
			Result: "boolean", Right: RightTokenWrite, Errors: []int64{CodeNotFound}, Example: `["0123456789abcdef"]`, call: revokeToken},
		{Name: "rotateToken", Summary: "Gives a token a new secret (returned once, as createToken); the old secret dies at once.",
			Params: []Param{{Name: "id", Schema: "string", Doc: "the token's id"}},
			Result: "object", Right: RightTokenWrite, Errors: []int64{CodeInvalidParams, CodeNotFound}, Example: `["0123456789abcdef"]`, call: rotateToken},
		{Name: "rotateAdminSecret", Summary: "Makes new_secret the admin secret: DB 0's key is wrapped again under a key derived from it with a new salt, in one fsynced transaction; no data file is rewritten. Connections and callers holding the old secret lose it at their next command. Update --admin-secret-file (or the service's credential) before the next restart: it needs the new secret (--dev rewrites dev-admin-secret itself).",
			Params: []Param{{Name: "new_secret", Schema: "string", Doc: "the new admin secret: 16 bytes or more, no line break; never returned or logged"}},
			Result: "boolean", Right: RightAdmin, Errors: []int64{CodeInvalidParams},
			Example: `["<the new admin secret>"]`, call: rotateAdminSecret},
		{Name: "getServerInfo", Summary: "Version, uptime, RESP address and fsync policy; for the admin also the number of databases and connections. No secrets.",
			Result: "object", Right: RightAny, Example: `[]`, call: getServerInfo},
	}
}

type dbConfig struct {
	Name         *string         `json:"name"`
	StoragePath  *string         `json:"storage_path"`
	MaxSize      *int64          `json:"max_size"`
	RedisVersion *string         `json:"redis_version"`
	Public       json.RawMessage `json:"public"`
}

func parsePublic(raw json.RawMessage, name string) (admin.Access, error) {
	if p, ok := admin.ParsePublicJSON(raw); ok {
		return p, nil
	}
	return 0, rpcError(CodeInvalidParams, fmt.Sprintf(`param %q must be true, false or "read"`, name))
}

func createDatabase(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	backend, err := a.str(0)
	if err != nil {
		return nil, err
	}
	if err := checkBackend(backend, "backend"); err != nil {
		return nil, err
	}
	if a.null(1) {
		return nil, a.bad(1, "an object {name, storage_path, max_size, redis_version, public}")
	}
	var cfg dbConfig
	if err := a.into(1, &cfg); err != nil {
		return nil, err
	}
	if cfg.StoragePath != nil {
		return nil, rpcError(CodeInvalidParams, `config.storage_path must be null: herodb keeps every database under its --dir`)
	}
	o := admin.CreateOptions{Backend: backend}
	if cfg.Name != nil {
		o.Name = *cfg.Name
	}
	if cfg.MaxSize != nil {
		if *cfg.MaxSize < 0 {
			return nil, rpcError(CodeInvalidParams, "config.max_size must be a non-negative number of bytes")
		}
		o.MaxSize = *cfg.MaxSize
	}
	if o.Public, err = parsePublic(cfg.Public, "config.public"); err != nil {
		return nil, err
	}
	key, err := a.optStr(2)
	if err != nil {
		return nil, err
	}
	if key != "" {
		o.EncryptionKey = []byte(key)
	}
	d, err := s.cfg.Admin.CreateDatabase(o)
	if err != nil {
		return nil, err
	}
	return d.ID, nil
}

// Listing: pages of at most maxListLimit databases, defaultListLimit when no limit is
// given; without params, the plain array while there are at most maxUnpagedList
// databases (a variable, so a test can lower it).
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

var maxUnpagedList atomic.Int64

func init() { maxUnpagedList.Store(10000) }

// listPage is a page of listDatabases.
type listPage struct {
	Databases []*admin.Listed `json:"databases"`
	Cursor    *uint64         `json:"cursor"` // null: the listing is complete
}

// checkBackend accepts the key-value backends HeroDB names (all stored in bbolt).
func checkBackend(backend, param string) error {
	switch strings.ToLower(backend) {
	case "redb", "sled", "bbolt":
		return nil
	case "tantivy", "lance":
		return admin.Errorf(admin.EUNSUPPORTED, "backend %q is not supported: herodb databases are key-value stores (use \"Redb\", \"Sled\" or \"bbolt\")", backend)
	}
	return rpcError(CodeInvalidParams, fmt.Sprintf(`param %q must be "Redb", "Sled" or "bbolt"`, param))
}

// bulkOptions are createDatabases' options: those of createDatabase but a name.
type bulkOptions struct {
	Backend *string         `json:"backend"`
	MaxSize *int64          `json:"max_size"`
	Public  json.RawMessage `json:"public"`
}

func createDatabases(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	n, ok := a.optUint(0, 0)
	if !ok || a.null(0) || n < 1 || n > admin.MaxBulkCreate {
		return nil, a.bad(0, fmt.Sprintf("an integer from 1 to %d", admin.MaxBulkCreate))
	}
	var opt bulkOptions
	if !a.null(1) {
		if err := a.into(1, &opt); err != nil {
			return nil, err
		}
	}
	o := admin.CreateOptions{Backend: "bbolt"}
	if opt.Backend != nil {
		if err := checkBackend(*opt.Backend, "options.backend"); err != nil {
			return nil, err
		}
		o.Backend = *opt.Backend
	}
	if opt.MaxSize != nil {
		if *opt.MaxSize < 0 {
			return nil, rpcError(CodeInvalidParams, "options.max_size must be a non-negative number of bytes")
		}
		o.MaxSize = *opt.MaxSize
	}
	var err error
	if o.Public, err = parsePublic(opt.Public, "options.public"); err != nil {
		return nil, err
	}
	ds, err := s.cfg.Admin.CreateDatabases(int(n), o)
	if err != nil {
		return nil, err
	}
	ids := make([]uint64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids, nil
}

func listDatabases(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	if a.vals[0] == nil && a.vals[1] == nil {
		// HeroDB's form: every database in one reply, while that stays reasonable.
		most := int(maxUnpagedList.Load())
		all, ok, err := s.cfg.Admin.AllDatabases(most)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, rpcError(CodeInvalidParams, fmt.Sprintf(
				`there are more than %d databases, too many for one reply: paginate with named params, listDatabases({"cursor":null,"limit":100}), passing each reply's cursor back until it is null`, most))
		}
		return all, nil
	}
	after, ok := a.optUint(0, 0)
	if !ok {
		return nil, a.bad(0, "the cursor of the previous page (a non-negative integer), or null to start")
	}
	limit, ok := a.optUint(1, defaultListLimit)
	if !ok || limit < 1 || limit > maxListLimit {
		return nil, a.bad(1, fmt.Sprintf("an integer from 1 to %d (or null: %d)", maxListLimit, defaultListLimit))
	}
	page, next, more, err := s.cfg.Admin.ListDatabases(after, int(limit))
	if err != nil {
		return nil, err
	}
	res := listPage{Databases: page}
	if more {
		res.Cursor = &next
	}
	return res, nil
}

func getDatabaseInfo(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	return s.cfg.Admin.DatabaseInfo(d.ID)
}

func deleteDatabase(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	return true, s.cfg.Admin.DeleteDatabase(d.ID)
}

func addAccessKey(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	key, err := a.str(1)
	if err != nil {
		return nil, err
	}
	ps, err := a.str(2)
	if err != nil {
		return nil, err
	}
	perm, err := admin.ParsePermission(ps)
	if err != nil {
		return nil, err
	}
	return true, s.cfg.Admin.AddAccessKey(d.ID, key, perm)
}

func listAccessKeys(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	return s.cfg.Admin.ListAccessKeys(d.ID)
}

func deleteAccessKey(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	hash, err := a.str(1)
	if err != nil {
		return nil, err
	}
	return true, s.cfg.Admin.DeleteAccessKey(d.ID, hash)
}

func setDatabasePublic(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	if a.null(1) {
		return nil, a.bad(1, `true, false or "read"`)
	}
	p, err := parsePublic(a.vals[1], "public")
	if err != nil {
		return nil, err
	}
	return true, s.cfg.Admin.SetPublic(d.ID, p)
}

// tenantServerInfo is what getServerInfo shows a credential that is not the admin's: facts
// about the server itself, as a tenant's INFO shows them (version, uptime, port, fsync
// policy). Counts across the server (connections, databases) are the admin's only, as
// INFO counts only the tenant's own clients and keys. An allowlist, so a field added to
// the server's facts later stays hidden until it is judged safe here.
var tenantServerInfo = []string{"version", "redis_version", "uptime_seconds", "resp_addr", "sync"}

func getServerInfo(_ context.Context, s *Service, c *Caller, _ *args) (any, error) {
	info := s.cfg.Info()
	if !c.has(RightAdmin) {
		out := make(map[string]any, len(tenantServerInfo))
		for _, k := range tenantServerInfo {
			if v, ok := info[k]; ok {
				out[k] = v
			}
		}
		return out, nil
	}
	info["databases"] = s.cfg.Admin.Count()
	return info, nil
}

func setDatabaseJwtKey(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	d, err := a.db(s.cfg.Admin, 0)
	if err != nil {
		return nil, err
	}
	if a.vals[1] == nil {
		return nil, a.bad(1, "a public key, or null to remove it")
	}
	key, err := a.optStr(1)
	if err != nil {
		return nil, err
	}
	return true, s.cfg.Admin.SetDatabaseJWTKey(d.ID, key)
}

func revokeJwt(_ context.Context, s *Service, _ *Caller, a *args) (any, error) {
	jti, err := a.str(0)
	if err != nil {
		return nil, err
	}
	var exp int64
	if a.null(1) || json.Unmarshal(a.vals[1], &exp) != nil {
		return nil, a.bad(1, "unix seconds (an integer)")
	}
	return true, s.cfg.Admin.RevokeJWT(jti, exp)
}

func reloadJwtKeys(_ context.Context, s *Service, _ *Caller, _ *args) (any, error) {
	if err := s.cfg.Admin.ReloadJWTKeys(); err != nil {
		return nil, err
	}
	ids := s.cfg.Admin.JWTKeyIDs()
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// maxTokenLifetime bounds expires_in (100 years), well inside time.Duration's range.
const maxTokenLifetime = 100 * 365 * 24 * 3600

func createToken(_ context.Context, s *Service, c *Caller, a *args) (any, error) {
	name, err := a.str(0)
	if err != nil {
		return nil, err
	}
	if a.null(1) {
		return nil, a.bad(1, "an array of scopes")
	}
	scopes, err := admin.ParseScopes(a.vals[1])
	if err != nil {
		return nil, err
	}
	var ttl time.Duration
	if !a.null(2) {
		var secs int64
		if json.Unmarshal(a.vals[2], &secs) != nil || secs <= 0 || secs > maxTokenLifetime {
			return nil, a.bad(2, fmt.Sprintf("a number of seconds from 1 to %d (100 years), or null", maxTokenLifetime))
		}
		ttl = time.Duration(secs) * time.Second
	}
	return s.cfg.Admin.CreateToken(c.Grant, name, scopes, ttl)
}

func listTokens(_ context.Context, s *Service, c *Caller, a *args) (any, error) {
	all, err := a.boolean(0, false)
	if err != nil {
		return nil, err
	}
	return s.cfg.Admin.ListTokens(c.Grant, all), nil
}

func getToken(_ context.Context, s *Service, c *Caller, a *args) (any, error) {
	id, err := a.str(0)
	if err != nil {
		return nil, err
	}
	return s.cfg.Admin.GetToken(c.Grant, id)
}

func revokeToken(_ context.Context, s *Service, c *Caller, a *args) (any, error) {
	id, err := a.str(0)
	if err != nil {
		return nil, err
	}
	return true, s.cfg.Admin.RevokeToken(c.Grant, id)
}

func rotateToken(_ context.Context, s *Service, c *Caller, a *args) (any, error) {
	id, err := a.str(0)
	if err != nil {
		return nil, err
	}
	return s.cfg.Admin.RotateToken(c.Grant, id)
}
