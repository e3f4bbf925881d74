package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// newLogger is the server's logger, from --log-format (text or json, both log/slog's)
// and --log-level (debug, info, warn, error); --debug is --log-level debug. Logs go to
// stderr; nothing logged holds a secret or a command's arguments.
func newLogger(w io.Writer, f *serveFlags) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %q; want debug, info, warn or error", f.logLevel)
	}
	if f.debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(f.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q; want text or json", f.logFormat)
}

// slowlogThreshold turns --slowlog-log-slower-than (microseconds, as Redis: -1 off, 0
// every command) into Config.SlowlogSlowerThan.
func slowlogThreshold(us int64) (time.Duration, error) {
	switch {
	case us < -1:
		return 0, fmt.Errorf("--slowlog-log-slower-than: %d; want -1 (off), 0 (every command) or more microseconds", us)
	case us == -1:
		return -1, nil
	case us == 0:
		return time.Nanosecond, nil
	}
	return time.Duration(us) * time.Microsecond, nil
}
