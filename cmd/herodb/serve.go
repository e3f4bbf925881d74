package main

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/crypto"
	"github.com/seed6aa118f9/herodb/server"
	"github.com/seed6aa118f9/herodb/storage"
	"github.com/seed6aa118f9/herodb/storage/wal"
)

// serveFlags are herodb serve's flags: HeroDB's, plus herodb's own.
type serveFlags struct {
	dir, bind, secret, secretFile, sync string
	port, maxClients                    int
	outputLimit, queryLimit             string
	scriptMemory                        string
	debug, dev                          bool
	metricsPerDB                        bool
	logFormat, logLevel                 string
	slowlogSlower                       int64
	slowlogMaxLen                       int
	// RPC (served when enabled).
	enableRPC          bool
	rpcPort            int
	rpcBind, rpcSocket string
	// JWT verification.
	jwtKeyFile, jwtAudience, jwtIssuer string
	jwtLeeway                          time.Duration
	jwtWildcard                        bool
	// The storage engine.
	writeBuffer, walRecover string
	recordCache             string
	maxOpenDBs              int
	faultProcs              int
	registryCache           int
	idleTimeout, flushEvery time.Duration
	// TLS on the RESP port and the RPC, and protected mode (tls.go).
	tls, rpcTLS   tlsFlags
	protectedMode string
	// HeroDB's flags that herodb accepts and explains.
	encrypt, sled bool
	encKey        string
	// The configuration file and env HERODB_<NAME> (config.go).
	configFile  string
	printConfig bool
	settings    []setting
}

// parseServeFlags reads serve's command line, then gives each flag it did not set its
// env HERODB_<NAME> or --config file value (config.go).
func parseServeFlags(args []string) (*serveFlags, error) {
	f := &serveFlags{}
	fs := newServeFlagSet(f)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if f.settings, err = layerConfig(fs, newServeFlagSet(&serveFlags{}), os.Getenv); err != nil {
		return nil, err
	}
	return f, nil
}

// newServeFlagSet defines serve's flags over f: every one is also a setting of the
// config file and an env variable (config.go).
func newServeFlagSet(f *serveFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("herodb serve", flag.ContinueOnError)
	fs.StringVar(&f.dir, "dir", "", "data directory (default ./data with --dev, else required)")
	fs.IntVar(&f.port, "port", 6379, "RESP port (0: none, TLS only, as Redis)")
	fs.StringVar(&f.bind, "bind", "127.0.0.1", "address to listen on")
	fs.StringVar(&f.secret, "admin-secret", "", "admin secret (prefer --admin-secret-file or HERODB_ADMIN_SECRET: flags show in ps)")
	fs.StringVar(&f.secretFile, "admin-secret-file", "", "file holding the admin secret")
	fs.StringVar(&f.sync, "sync", "always", "when writes reach disk: always, everysec or none")
	fs.IntVar(&f.maxClients, "maxclients", 10000, "maximum number of connections")
	fs.StringVar(&f.outputLimit, "client-output-limit", "1gb", "close a connection whose unsent replies pass this (bytes, or kb/mb/gb; at least 512mb, the largest value)")
	fs.StringVar(&f.queryLimit, "client-query-buffer-limit", "1gb", "close a connection whose one incomplete command passes this (bytes, or kb/mb/gb; at least 512mb)")
	fs.StringVar(&f.scriptMemory, "script-memory-limit", "512mb", "stop a running script once the process's live heap has grown this much since it began (bytes, or kb/mb/gb; 0: no bound)")
	fs.StringVar(&f.recordCache, "record-cache", "64mb", "memory for key records kept from the database files for reads, all databases together (bytes, or kb/mb/gb; 0: none)")
	fs.StringVar(&f.writeBuffer, "write-buffer", "64mb", "memory for changes not yet written into the database files, all databases together (bytes, or kb/mb/gb; at least 8mb)")
	fs.IntVar(&f.faultProcs, "fault-procs", -1, "GOMAXPROCS while the process takes major page faults, which hold a P each (-1: 4x the starting GOMAXPROCS, at least 8; 0: never raised; an environment GOMAXPROCS also keeps it fixed)")
	fs.IntVar(&f.maxOpenDBs, "max-open-dbs", 1000, "database files open at once; past it the least recently used is flushed and closed")
	fs.IntVar(&f.registryCache, "registry-cache", 65536, "database registrations kept in memory; the others are read from DB 0 when used")
	fs.DurationVar(&f.idleTimeout, "db-idle-timeout", 5*time.Minute, "close a database file unused for this long")
	fs.DurationVar(&f.flushEvery, "flush-interval", storage.DefaultFlushInterval, "longest a change waits in memory (durable in the log) before its file is written")
	fs.StringVar(&f.walRecover, "wal-recover", "fail", "a damaged log frame that durable frames follow: fail (refuse to start) or truncate (keep what precedes it, drop the rest)")
	fs.BoolVar(&f.debug, "debug", false, "log debug messages (never secrets); the same as --log-level debug")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "least level logged: debug, info, warn or error")
	fs.Int64Var(&f.slowlogSlower, "slowlog-log-slower-than", 10000, "log commands that run this many microseconds or longer in SLOWLOG (-1: off, 0: every command)")
	fs.IntVar(&f.slowlogMaxLen, "slowlog-max-len", 128, "entries SLOWLOG keeps")
	fs.BoolVar(&f.metricsPerDB, "metrics-per-db", false, "add per-database metrics to /metrics (their labels name tenants' databases)")
	fs.BoolVar(&f.dev, "dev", false, "development quick start: generated admin secret, public database \"demo\"")
	fs.BoolVar(&f.enableRPC, "enable-rpc", false, "serve the JSON-RPC management API over HTTP")
	fs.IntVar(&f.rpcPort, "rpc-port", 8080, "JSON-RPC HTTP port")
	fs.StringVar(&f.rpcBind, "rpc-bind", "127.0.0.1", "JSON-RPC HTTP address")
	fs.StringVar(&f.rpcSocket, "rpc-socket", "", "JSON-RPC Unix socket path")
	fs.StringVar(&f.jwtKeyFile, "jwt-key-file", "", "Ed25519 public keys for JWTs (PEM blocks or base64url lines); or env HERODB_JWT_KEY")
	fs.DurationVar(&f.jwtLeeway, "jwt-leeway", 0, "leeway added to a JWT's exp (at most 60s)")
	fs.StringVar(&f.jwtAudience, "jwt-audience", "", "require this aud in JWTs")
	fs.StringVar(&f.jwtIssuer, "jwt-issuer", "", "require this iss in JWTs")
	fs.BoolVar(&f.jwtWildcard, "jwt-allow-wildcard", false, "honour \"*\" (every database but DB 0) in JWT claims")
	fs.BoolVar(&f.encrypt, "encrypt", false, "accepted for HeroDB compatibility: herodb always encrypts")
	fs.StringVar(&f.encKey, "encryption-key", "", "accepted for HeroDB compatibility: ignored (keys are per database)")
	fs.StringVar(&f.encKey, "encryption_key", "", "alias of --encryption-key")
	fs.BoolVar(&f.sled, "sled", false, "accepted for HeroDB compatibility: herodb stores in bbolt")
	registerTLSFlags(fs, f)
	registerConfigFlags(fs, f)
	return fs
}

func serveCmd(args []string) int {
	f, err := parseServeFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "herodb: %v\n", err)
		return 2
	}
	if f.printConfig {
		printConfig(os.Stdout, f.settings, os.Getenv)
		return 0
	}
	log, err := newLogger(os.Stderr, f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "herodb: %v\n", err)
		return 2
	}
	if err := serve(f, log); err != nil {
		fmt.Fprintf(os.Stderr, "herodb: %s\n", oneLine(err))
		return 1
	}
	return 0
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

func serve(f *serveFlags, log *slog.Logger) error {
	storage.SetLogger(log) // a file upgraded or refused at open is logged with the rest
	if f.slowlogMaxLen < 1 || f.slowlogMaxLen > server.SlowlogMaxLenLimit {
		// The bound CONFIG SET slowlog-max-len has: past it, one tenant's list could hold
		// more than the whole node may.
		return fmt.Errorf("--slowlog-max-len: %d; want 1 to %d", f.slowlogMaxLen, server.SlowlogMaxLenLimit)
	}
	w, err := faultProcs(f.faultProcs, log)
	if err != nil {
		return err
	}
	if w != nil {
		w.Start() // before the files open: recovery's reads fault too
		defer w.Stop()
	}
	if f.encrypt {
		log.Warn("--encrypt is accepted for HeroDB compatibility: herodb encrypts every database, always")
	}
	if f.encKey != "" {
		log.Warn("--encryption-key is ignored: each database has its own random key, wrapped under the admin secret; give a per-database key with createDatabase's encryption_key")
	}
	if f.sled {
		log.Warn("--sled is accepted for HeroDB compatibility: herodb stores every database in bbolt")
	}
	mode, err := storage.ParseSyncMode(f.sync)
	if err != nil {
		return err
	}
	if f.dir == "" {
		if !f.dev {
			return errors.New("no data directory: give --dir DIR (or --dev for a quick start in ./data)")
		}
		f.dir = "data"
	}
	secret, err := adminSecret(f)
	if err != nil {
		return err
	}
	jwtCfg, err := jwtConfig(f)
	if err != nil {
		return err
	}
	outLimit, err := parseLimit("--client-output-limit", f.outputLimit)
	if err != nil {
		return err
	}
	queryLimit, err := parseLimit("--client-query-buffer-limit", f.queryLimit)
	if err != nil {
		return err
	}
	eng, err := engineConfig(f)
	if err != nil {
		return err
	}
	scriptMemory := int64(-1) // "0": no bound
	if f.scriptMemory != "0" {
		if scriptMemory, err = parseSize("--script-memory-limit", f.scriptMemory); err != nil {
			return err
		}
	}
	st, err := tlsConfig(f)
	if err != nil {
		return err
	}
	var respTLS *tls.Config
	if st.resp != nil {
		respTLS = st.resp.Config()
	}
	slower, err := slowlogThreshold(f.slowlogSlower)
	if err != nil {
		return err
	}
	srv, err := server.Start(server.Config{
		SlowlogSlowerThan: slower, SlowlogMaxLen: f.slowlogMaxLen,
		Dir: f.dir, Bind: f.bind, Port: f.port, AdminSecret: secret,
		NoPlainPort: f.port == 0, TLS: respTLS, TLSPort: f.tls.port, ProtectedModeOff: st.protectedModeOff,
		Sync: mode, MaxClients: f.maxClients, Logger: log, JWT: jwtCfg,
		MaxOutput: outLimit, MaxQuery: queryLimit, ScriptMemory: scriptMemory, MetricsPerDB: f.metricsPerDB,
		IdleClose: eng.IdleClose, MaxOpenDBs: eng.MaxOpenDBs, RegistryCache: eng.RegistryCache, WriteBuffer: eng.WriteBuffer,
		RecordCache: eng.RecordCache, FlushInterval: eng.FlushInterval, WALRecover: eng.WALRecover,
		Setup: func(a *admin.Admin) error {
			if f.dev {
				return devDatabase(a)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	rot := admin.Rotation{Step: crashAt}
	if devSecretUsed(f) {
		rot.SecretFile = filepath.Join(f.dir, "dev-admin-secret") // rotateAdminSecret rewrites it
	}
	srv.Admin().SetRotation(rot)
	if ids := srv.Admin().JWTKeyIDs(); len(ids) > 0 {
		log.Info("JWT keys loaded", "kids", strings.Join(ids, ","))
	}
	if f.dev {
		devBanner(f)
	}
	rpcStop, err := startRPC(srv, f, st.rpc, log)
	if err != nil {
		srv.Close()
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	for s := range sig {
		if s == syscall.SIGHUP {
			st.reload(log)
			if err := srv.Admin().ReloadJWTKeys(); err != nil {
				log.Error("JWT key reload failed; the old keys stay", "err", err)
			} else {
				log.Info("JWT keys reloaded", "kids", strings.Join(srv.Admin().JWTKeyIDs(), ","))
			}
			continue
		}
		log.Info("stopping", "signal", s.String())
		break
	}
	go forceOnSecondSignal(sig, log) // shutdown.go
	rpcStop()
	return srv.Close()
}

// jwtConfig reads the JWT policy; the key text comes from --jwt-key-file or env
// HERODB_JWT_KEY (not both), and is read again on every reload.
func jwtConfig(f *serveFlags) (admin.JWTConfig, error) {
	cfg := admin.JWTConfig{Leeway: f.jwtLeeway, Audience: f.jwtAudience, Issuer: f.jwtIssuer, AllowWildcard: f.jwtWildcard}
	env := os.Getenv("HERODB_JWT_KEY")
	switch {
	case f.jwtKeyFile != "" && env != "":
		return cfg, errors.New("JWT keys given twice: use --jwt-key-file or HERODB_JWT_KEY, not both")
	case f.jwtKeyFile != "":
		path := f.jwtKeyFile
		cfg.Load = func() ([]byte, error) { return os.ReadFile(path) }
	case env != "":
		cfg.Load = func() ([]byte, error) { return []byte(os.Getenv("HERODB_JWT_KEY")), nil }
	}
	return cfg, nil
}

// adminSecret reads the secret from --admin-secret-file, --admin-secret or
// HERODB_ADMIN_SECRET; with --dev it is generated once and kept in <dir>/dev-admin-secret.
func adminSecret(f *serveFlags) ([]byte, error) {
	given := 0
	for _, s := range []string{f.secretFile, f.secret, os.Getenv("HERODB_ADMIN_SECRET")} {
		if s != "" {
			given++
		}
	}
	if given > 1 {
		return nil, errors.New("admin secret given more than once: use one of --admin-secret-file, --admin-secret, HERODB_ADMIN_SECRET")
	}
	switch {
	case f.secretFile != "":
		b, err := os.ReadFile(f.secretFile)
		if err != nil {
			return nil, fmt.Errorf("read admin secret file: %w", err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return nil, fmt.Errorf("admin secret file %s is empty", f.secretFile)
		}
		return []byte(s), nil
	case f.secret != "":
		return []byte(f.secret), nil
	case os.Getenv("HERODB_ADMIN_SECRET") != "":
		return []byte(os.Getenv("HERODB_ADMIN_SECRET")), nil
	case f.dev:
		return devSecret(f.dir)
	}
	return nil, errors.New("no admin secret: give --admin-secret-file FILE or set HERODB_ADMIN_SECRET (or run 'herodb serve --dev' to try it out)")
}

// devSecretUsed reports whether the admin secret is --dev's dev-admin-secret.
func devSecretUsed(f *serveFlags) bool {
	return f.dev && f.secretFile == "" && f.secret == "" && os.Getenv("HERODB_ADMIN_SECRET") == ""
}

func devSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "dev-admin-secret")
	if _, err := os.Stat(path); err == nil {
		// Finishes a change of the secret that a crash cut short (admin/rekey.go).
		return admin.ResolveSecretFile(dir, path)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	secret := base64.RawURLEncoding.EncodeToString(crypto.Random(24))
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, err
	}
	return []byte(secret), nil
}

// devDatabase makes --dev's public database "demo" in a directory with no database,
// before the server listens (Config.Setup), so a first client's SELECT 1 finds it.
func devDatabase(a *admin.Admin) error {
	if _, ok := a.Database("demo"); !ok && a.Count() == 0 {
		if _, err := a.CreateDatabase(admin.CreateOptions{Name: "demo", Public: admin.AccessReadWrite}); err != nil {
			return err
		}
	}
	return nil
}

// devBanner prints --dev's banner: the admin secret and how to connect.
func devBanner(f *serveFlags) {
	secretPath := filepath.Join(f.dir, "dev-admin-secret")
	secret, _ := os.ReadFile(secretPath)
	fmt.Fprintf(os.Stderr, `
==> herodb is running in DEVELOPMENT mode: do not use it for real data.
    Admin secret: %s    (kept in %s)
    A public database "demo" (id 1) is open to anyone who can connect.

    Connect:   redis-cli -p %d
               SELECT 1            (or: SELECT demo)
    Admin:     SELECT 0 KEY $(cat %s)
    RPC:       http://%s:%d   (herodb db list, with HERODB_ADMIN_SECRET set)

`, strings.TrimSpace(string(secret)), secretPath, f.port, secretPath, f.rpcBind, f.rpcPort)
}

// engineConfig checks the storage engine's flags.
func engineConfig(f *serveFlags) (server.Config, error) {
	var c server.Config
	n, err := parseSize("--write-buffer", f.writeBuffer)
	if err != nil {
		return c, err
	}
	if n < 8<<20 {
		return c, fmt.Errorf("--write-buffer: %s is below 8mb", f.writeBuffer)
	}
	c.RecordCache = -1 // 0: none
	if strings.TrimSpace(f.recordCache) != "0" {
		if c.RecordCache, err = parseSize("--record-cache", f.recordCache); err != nil {
			return c, err
		}
	}
	switch {
	case f.maxOpenDBs < 1:
		return c, fmt.Errorf("--max-open-dbs: %d; want at least 1", f.maxOpenDBs)
	case f.registryCache < 1:
		return c, fmt.Errorf("--registry-cache: %d; want at least 1", f.registryCache)
	case f.idleTimeout <= 0:
		return c, fmt.Errorf("--db-idle-timeout: %v; want a positive duration", f.idleTimeout)
	case f.flushEvery <= 0 || f.flushEvery > time.Hour:
		return c, fmt.Errorf("--flush-interval: %v; want a duration above 0 and at most 1h", f.flushEvery)
	}
	switch f.walRecover {
	case "fail":
		c.WALRecover = wal.RecoverFail
	case "truncate":
		c.WALRecover = wal.RecoverTruncate
	default:
		return c, fmt.Errorf("--wal-recover: %q; want fail or truncate", f.walRecover)
	}
	c.WriteBuffer, c.MaxOpenDBs, c.IdleClose, c.FlushInterval = n, f.maxOpenDBs, f.idleTimeout, f.flushEvery
	c.RegistryCache = f.registryCache
	return c, nil
}

// parseLimit reads a byte size as Redis's config does ("1gb", "512mb", "65536"). A
// connection limit below the largest value a client can store would make that value
// unreadable (or unwritable), so it is refused.
func parseLimit(flagName, v string) (int, error) {
	n, err := parseSize(flagName, v)
	if err != nil {
		return 0, err
	}
	if n < storage.MaxStringSize {
		return 0, fmt.Errorf("%s: %s is below 512mb, the largest value a client can store", flagName, v)
	}
	return int(n), nil
}

// parseSize reads a size in bytes, or with a kb, mb or gb suffix (k, m, g: powers of ten).
func parseSize(flagName, v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%s: %q is not a size (bytes, or with kb, mb or gb)", flagName, v)
	}
	return n * mult, nil
}
