package main

// herodb serve's configuration file (--config, in redis.conf's style) and its env
// variables (HERODB_<NAME>). Both are layered over serve's flag.FlagSet, visiting every
// flag it defines, so a flag added later is configurable in both with no more code. The
// command line wins, then the environment, then the file, then the flag's default.

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
)

// secretFlags hold a secret's value rather than a path. A config file may not set them:
// a file of settings is copied, diffed and shown far more freely than a secret may be.
// --print-config shows them redacted. The value is the setting to name instead, if any.
var secretFlags = map[string]string{"admin-secret": "admin-secret-file", "encryption-key": "", "encryption_key": ""}

// onePlaceFlags name a secret, or where to read one. Given in two places (flag, env,
// file) they are an error rather than one silently winning: which secret is in use must
// never be a surprise. (adminSecret and jwtConfig refuse two different ways of giving
// the same secret.)
var onePlaceFlags = map[string]bool{"admin-secret": true, "admin-secret-file": true, "jwt-key-file": true}

// envReadBySetting are flags whose env variable serve reads where the value is used
// (adminSecret reads HERODB_ADMIN_SECRET, as it did before the layering, and so does
// herodb check), so the layering checks and reports it but does not copy it into the flag.
var envReadBySetting = map[string]bool{"admin-secret": true}

// notInFile are the flags about the configuration itself.
var notInFile = map[string]bool{"config": true, "print-config": true}

// setting is one flag's effective value and where it came from, for --print-config.
type setting struct {
	name, value, source string
}

// registerConfigFlags adds --config and --print-config to serve's flag set.
func registerConfigFlags(fs *flag.FlagSet, f *serveFlags) {
	fs.StringVar(&f.configFile, "config", "", "read settings from this file, one 'name value' per line (names as the flags, without dashes); flags and env HERODB_<NAME> override it")
	fs.BoolVar(&f.printConfig, "print-config", false, "print every setting, its value and where it came from (secrets redacted), and exit")
}

// envName is flag name's env variable: HERODB_, then the name upper-cased with dashes
// as underscores (--rpc-port: HERODB_RPC_PORT).
func envName(name string) string {
	return "HERODB_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// fileValue is a value read from the config file, with its line for messages.
type fileValue struct {
	line  int
	value string
}

// layerConfig gives every flag of fs that the command line did not set its env value,
// else its config file value. Every value from the env and the file is first tried on
// check, a second flag set defined alike, so a bad one is reported even where the
// command line overrides it.
func layerConfig(fs, check *flag.FlagSet, getenv func(string) string) ([]setting, error) {
	onCommandLine := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { onCommandLine[fl.Name] = true })

	fromEnv := map[string]bool{}
	var err error
	fs.VisitAll(func(fl *flag.Flag) {
		v := getenv(envName(fl.Name))
		if v == "" || err != nil {
			return
		}
		v = boolWord(fl, v)
		if e := check.Set(fl.Name, v); e != nil {
			err = fmt.Errorf("env %s: %s", envName(fl.Name), badValue(fl.Name, v, e))
			return
		}
		fromEnv[fl.Name] = true
		if !onCommandLine[fl.Name] && !envReadBySetting[fl.Name] {
			err = fs.Set(fl.Name, v)
		}
	})
	if err != nil {
		return nil, err
	}

	path := fs.Lookup("config").Value.String()
	var fromFile map[string]fileValue
	if path != "" {
		if fromFile, err = readConfigFile(path, check); err != nil {
			return nil, err
		}
	}
	for name, fv := range fromFile {
		if !onCommandLine[name] && !fromEnv[name] {
			if err := fs.Set(name, fv.value); err != nil {
				return nil, err
			}
		}
	}

	var settings []setting
	fs.VisitAll(func(fl *flag.Flag) {
		var places []string
		if onCommandLine[fl.Name] {
			places = append(places, "flag --"+fl.Name)
		}
		if fromEnv[fl.Name] {
			places = append(places, "env "+envName(fl.Name))
		}
		if fv, ok := fromFile[fl.Name]; ok {
			places = append(places, fmt.Sprintf("file %s line %d", path, fv.line))
		}
		if len(places) > 1 && onePlaceFlags[fl.Name] && err == nil {
			err = fmt.Errorf("%s given in two places (%s): give a secret in one place only", fl.Name, strings.Join(places, ", "))
		}
		source := "default"
		if len(places) > 0 {
			source = places[0] // the order of precedence
		}
		settings = append(settings, setting{fl.Name, fl.Value.String(), source})
	})
	if err != nil {
		return nil, err
	}
	return settings, nil
}

// readConfigFile reads a config file in redis.conf's style: one "name value" per line,
// blank lines and lines starting with # skipped, a value in double quotes read as a Go
// string (so it may hold spaces, or be ""). Each value is tried on check, and the first
// error names the line.
func readConfigFile(path string, check *flag.FlagSet) (map[string]fileValue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	values := map[string]fileValue{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		at := func(format string, a ...any) error {
			return fmt.Errorf("%s line %d: %s", path, n, fmt.Sprintf(format, a...))
		}
		name, value := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			name, value = line[:i], strings.TrimSpace(line[i:])
		}
		fl := check.Lookup(name)
		switch instead, secret := secretFlags[name]; {
		case fl == nil || strings.HasPrefix(name, "-"):
			return nil, at("unknown name %q (names are serve's flags without their dashes)", name)
		case secret && instead != "":
			return nil, at("%s holds a secret, which a config file must not: give %s PATH instead", name, instead)
		case secret:
			return nil, at("%s holds a secret, which a config file must not", name)
		case notInFile[name]:
			return nil, at("%s is a command-line flag, not a setting", name)
		case value == "":
			return nil, at("%s has no value", name)
		}
		if prev, ok := values[name]; ok {
			return nil, at("%s is already set on line %d", name, prev.line)
		}
		if strings.HasPrefix(value, `"`) {
			if value, err = strconv.Unquote(value); err != nil {
				return nil, at("%s: a value that starts with \" must be one quoted string", name)
			}
		}
		value = boolWord(fl, value)
		if err := check.Set(name, value); err != nil {
			return nil, at("%s", badValue(name, value, err))
		}
		values[name] = fileValue{n, value}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return values, nil
}

// boolWord lets a switch be written yes or no, as in redis.conf.
func boolWord(fl *flag.Flag, v string) string {
	if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		switch strings.ToLower(v) {
		case "yes":
			return "true"
		case "no":
			return "false"
		}
	}
	return v
}

// badValue says a value was refused; a secret's value is never echoed.
func badValue(name, value string, err error) string {
	if _, secret := secretFlags[name]; secret {
		return fmt.Sprintf("bad value for %s: %v", name, err)
	}
	return fmt.Sprintf("bad value %q for %s: %v", value, name, err)
}

// printConfig writes --print-config's report: one line per setting with its value and
// where it came from. It reads no secret file, and a secret's value shows as (redacted).
func printConfig(w io.Writer, settings []setting, getenv func(string) string) {
	fmt.Fprintln(w, "# herodb serve's effective configuration: flag > env > file > default; secrets redacted")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, s := range settings {
		v := s.value
		// An alias shares its flag's value, so a secret is redacted wherever it was set.
		if _, secret := secretFlags[s.name]; secret && (s.value != "" || s.source != "default") {
			v = "(redacted)"
		} else if v == "" || strings.ContainsAny(v, " \t\"#") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(tw, "%s\t%s\t# %s\n", s.name, v, s.source)
	}
	tw.Flush()
	if getenv("HERODB_JWT_KEY") != "" {
		fmt.Fprintln(w, "# JWT keys: env HERODB_JWT_KEY (redacted)")
	}
}
