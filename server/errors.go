package server

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"syscall"

	"github.com/seed6aa118f9/herodb/admin"
	"github.com/seed6aa118f9/herodb/storage"
)

// Redis's error strings, exactly, so clients and tests can match them.
const (
	errSyntax        = "ERR syntax error"
	errNotInteger    = "ERR value is not an integer or out of range"
	errNotFloat      = "ERR value is not a valid float"
	errHashNotInt    = "ERR hash value is not an integer"
	errHashNotFloat  = "ERR hash value is not a float"
	errOverflow      = "ERR increment or decrement would overflow"
	errNaN           = "ERR increment would produce NaN or Infinity"
	errWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNoSuchKey     = "ERR no such key"
	errOutOfRange    = "ERR index out of range"
	errTooLarge      = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errNoAuth        = "NOAUTH no database selected: SELECT <db> [KEY <key>] or AUTH first"
	errNeedKey       = "NOAUTH this database needs a key: SELECT <db> KEY <key>"
	errWrongPass     = "WRONGPASS invalid username-password pair or user is disabled."
	errDBRange       = "ERR DB index is out of range"
	errSameObject    = "ERR source and destination objects are the same"
	errNoPermFar     = "NOPERM writing another database needs an AUTH credential granting write on both databases, or the admin secret"
	errFarHere       = "ERR another database cannot be reached from here (a script stays in its database)"
	errReadOnlyDB0   = "NOPERM DB 0 is read-only over RESP; change it through the RPC"
	errNoPermWrite   = "NOPERM this connection may only read this database"
	errNoPermAdmin   = "NOPERM this command needs the admin secret"
	errBgsaveRunning = "ERR Background save already in progress"
	errMultiNested   = "ERR MULTI calls can not be nested"
	errExecNoMulti   = "ERR EXEC without MULTI"
	errDiscardNoMult = "ERR DISCARD without MULTI"
	errWatchInMulti  = "ERR WATCH inside MULTI is not allowed"
	errExecAbort     = "EXECABORT Transaction discarded because of previous errors."
	errNotInMulti    = "ERR Command not allowed inside a transaction"
	errNoProto       = "NOPROTO unsupported protocol version"
	errDBFull        = "ERR database is full: it reached its max_size (deletes are still allowed)"
	errCorrupt       = "ERR a stored record failed to open (tampered, moved or under another key); see the server log"
	errInternal      = "ERR internal error"
	errNotNamed      = "NOPERM this credential does not name this database"
	errNeedAdminDB0  = "NOAUTH DB 0 needs the admin secret: SELECT 0 KEY <admin secret>"
	errDBDeleted     = "ERR the selected database was deleted; SELECT another"
	errInvalidCursor = "ERR invalid cursor"
	errDiskFull      = "ERR disk full: nothing of this transaction was stored; free space and retry"
	errUnflushed     = "ERR database unavailable until herodb restarts: its file could not take changes that are kept in the log; see the server log"
	errMissingFile   = "ERR database unavailable: its file is missing (it was written to, so it is not served as empty); see the server log"
	// errDenied is protected mode's refusal (protected.go), with its reason and the ways out.
	errDenied = "DENIED herodb is running in protected mode: it listens beyond loopback, and public databases answer only clients on loopback. Present a credential (AUTH, or SELECT <db> KEY <key>), connect from loopback, or start herodb with --protected-mode no"
)

// Argument and option errors of particular commands, in Redis's words where Redis has
// the command.
const (
	errBitOffset        = "ERR bit offset is not an integer or out of range"                                                                                                                                       // SETBIT, GETBIT
	errBitValue         = "ERR bit is not an integer or out of range"                                                                                                                                              // SETBIT
	errBitArg           = "ERR The bit argument must be 1 or 0."                                                                                                                                                   // BITPOS
	errBitopNot         = "ERR BITOP NOT must be called with a single source key."                                                                                                                                 // BITOP
	errSortScore        = "ERR One or more scores can't be converted into double"                                                                                                                                  // SORT
	errObjectFreq       = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust." // OBJECT FREQ
	errBitfieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."                                                                                       // BITFIELD
	errBitfieldOverflow = "ERR Invalid OVERFLOW type specified"                                                                                                                                                    // BITFIELD
	errBitfieldRO       = "ERR BITFIELD_RO only supports the GET subcommand"                                                                                                                                       // BITFIELD_RO
	errLCSType          = "ERR The specified keys must contain string values"                                                                                                                                      // LCS
	errNotHLL           = "WRONGTYPE Key is not a valid HyperLogLog string value."                                                                                                                                 // PFADD, PFCOUNT, PFMERGE
	errLCSLenIdx        = "ERR If you want both the length and indexes, please just use IDX."                                                                                                                      // LCS
	errLCSTooLarge      = "ERR Insufficient memory, transient memory for LCS exceeds 64 MiB"                                                                                                                       // LCS: herodb's bound
	errSetNumKeys       = "ERR numkeys should be greater than 0"                                                                                                                                                   // SINTERCARD
	errSetNumKeysArgs   = "ERR Number of keys can't be greater than number of args"                                                                                                                                // SINTERCARD
	errSetLimitNeg      = "ERR LIMIT can't be negative"                                                                                                                                                            // SINTERCARD
	errSetRandTooLarge  = "ERR SRANDMEMBER count is too large: the reply would exceed the output limit"                                                                                                            // herodb's: a reply that could never be sent
	errMustBePositive   = "ERR value is out of range, must be positive"                                                                                                                                            // LPOP/RPOP count
	errLongRange        = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"                                                                                             // rangeLong: ±math.MaxInt64
	errRankZero         = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountNegative    = "ERR COUNT can't be negative"
	errMaxlenNegative   = "ERR MAXLEN can't be negative"
	errValueRange       = "ERR value is out of range"    // HRANDFIELD count WITHVALUES
	errNaNOrInfinity    = "ERR value is NaN or Infinity" // HINCRBYFLOAT increment
	errRandTooLarge     = "ERR HRANDFIELD count is too large: the reply would exceed the output limit"
	errDecrOverflow     = "ERR decrement would overflow" // DECRBY math.MinInt64
	errOffsetRange      = "ERR offset is out of range"   // SETRANGE
	errExpireNXMix      = "ERR NX and XX, GT or LT options at the same time are not compatible"
	errExpireGTLT       = "ERR GT and LT options at the same time are not compatible"
	errProtoVersion     = "ERR Protocol version is not an integer or out of range" // HELLO
	errClientName       = "ERR Client names cannot contain spaces, newlines or special characters."
	errClientLibInfo    = "ERR lib-name and lib-ver cannot contain spaces, newlines or special characters."
	errExecOutput       = "ERR EXEC's replies exceed the client output limit; the transaction was not applied"
)

// COMMAND GETKEYS and GETKEYSANDFLAGS, in Redis 7.0's words.
const (
	errGetKeysCommand = "ERR Invalid command specified"
	errGetKeysNoKeys  = "ERR The command has no key arguments"
	errGetKeysArity   = "ERR Invalid number of arguments specified for command"
	errGetKeysInvalid = "ERR Invalid arguments specified for command"
)

// Credential refusals (access.go).
const (
	errTooMany      = "ERR too many failed attempts"
	errTokenExpired = "WRONGPASS the token has expired: AUTH again with a new one" // a named token, mid-session
)

// Protocol error texts, as Redis 7.0 words them. Each closes the connection.
const (
	errProtoMultibulk       = "ERR Protocol error: invalid multibulk length"
	errProtoBulk            = "ERR Protocol error: invalid bulk length"
	errProtoUnauthMultibulk = "ERR Protocol error: unauthenticated multibulk length"
	errProtoUnauthBulk      = "ERR Protocol error: unauthenticated bulk length"
	errProtoBigMultibulk    = "ERR Protocol error: too big mbulk count string"
	errProtoBigBulk         = "ERR Protocol error: too big bulk count string"
	errProtoBigInline       = "ERR Protocol error: too big inline request"
	errProtoQueryBuffer     = "ERR Protocol error: query buffer limit exceeded"
)

// errUnbalancedQuotes is the inline splitter's error; its text is the reply.
var errUnbalancedQuotes = errors.New("ERR Protocol error: unbalanced quotes in request")

// errProtoExpected is the reply for a byte where a bulk header's '$' belongs.
func errProtoExpected(b byte) string {
	return "ERR Protocol error: expected '$', got '" + printable(b) + "'"
}

func errWrongArgs(name string) string {
	return fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(name))
}

// errInvalidExpire names the command whose expire time is out of range.
func errInvalidExpire(cmd string) string {
	return fmt.Sprintf("ERR invalid expire time in '%s' command", cmd)
}

// errTooManyArgs and errTooManyQueued are herodb's limits (limits.go, MULTI).
func errTooManyArgs(max int) string { return fmt.Sprintf("ERR too many arguments: at most %d", max) }

func errTooManyQueued(max int) string {
	return fmt.Sprintf("ERR too many commands in this transaction (at most %d)", max)
}

// errExecAbortBecause is Redis's reply to a malformed EXEC: msg says why, without "ERR ".
func errExecAbortBecause(msg string) string {
	return "EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR ")
}

// Option errors that echo the option, clipped.
func errHelloOption(opt []byte) string {
	return fmt.Sprintf("ERR Syntax error in HELLO option '%s'", clip(opt))
}

func errUnrecognizedOption(opt []byte) string {
	return fmt.Sprintf("ERR Unrecognized option '%s'", clip(opt))
}

func errUnsupportedOption(opt []byte) string {
	return fmt.Sprintf("ERR Unsupported option %s", clip(opt))
}

// AGE's named keys: name is the key's name as the client gave it.
func errNamedKeyExists(name []byte) string {
	return fmt.Sprintf("ERR key '%s' already exists: use REPLACE to overwrite it", clip(name))
}

func errNamedKeyMissing(name []byte) string {
	return fmt.Sprintf("ERR no key named '%s' (AGE LIST shows the names)", clip(name))
}

func errNamedKeyKind(name []byte, kind byte) string {
	want := map[byte]string{'e': "an encryption key (AGE KEYGEN)", 's': "a signing key (AGE SIGNKEYGEN)"}[kind]
	return fmt.Sprintf("ERR key '%s' is not %s", clip(name), want)
}

// errCrypto answers a crypto failure; crypto's errors never hold the inputs.
func errCrypto(err error) string { return "ERR " + err.Error() }

// errAdmin is an admin error as a reply: its message, never an internal error's text.
func errAdmin(err error) string { return "ERR " + admin.ErrorMessage(err) }

// wrongPass is the WRONGPASS reply for a refused credential: one text for every kind,
// except that JWT refusals carry sqld's code (AUTH_JWT_EXPIRED, …) after the prefix.
func wrongPass(err error) string {
	if jwtRefusal(err) {
		return "WRONGPASS " + admin.ErrorMessage(err)
	}
	return errWrongPass
}

// jwtRefusal says whether err is a JWT refusal, whose reply carries sqld's code.
func jwtRefusal(err error) bool { return strings.HasPrefix(admin.ErrorMessage(err), "AUTH_JWT_") }

// errUnknown is Redis's text, arguments quoted and cut as Redis cuts them: the name at
// 128 bytes, the arguments at 128 bytes all together.
func errUnknown(args [][]byte) string {
	var a strings.Builder
	for _, arg := range args[1:] {
		if a.Len() >= 128 {
			break
		}
		fmt.Fprintf(&a, "'%s' ", clipN(arg, 128-a.Len()))
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", clip(args[0]), a.String())
}

// errUnknownSub is Redis's text. The subcommand is echoed only when it looks like a
// word: a forgotten subcommand ("AGE <identity> …") must not send a secret back.
// errUnknownClientType is CLIENT LIST TYPE with a type Redis does not know.
func errUnknownClientType(t []byte) string { return fmt.Sprintf("ERR Unknown client type '%s'", t) }

const errInvalidClientID = "ERR Invalid client ID"

func errUnknownSub(cmd string, sub []byte) string {
	if !subWord.Match(sub) {
		return fmt.Sprintf("ERR unknown subcommand. Try %s HELP.", strings.ToUpper(cmd))
	}
	return fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", sub, strings.ToUpper(cmd))
}

var subWord = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,23}$`)

func clip(b []byte) string { return clipN(b, 128) }

// clipN cuts b at n bytes and blanks control characters, byte by byte (other bytes are
// kept as they are, as Redis does), so an error line stays one line.
func clipN(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 32 || c == 127 {
			c = ' '
		}
		out[i] = c
	}
	return string(out)
}

// commandError maps a storage or admin error to the reply a client sees, and says
// whether it is a command-level error (a reply) rather than a failure of the storage.
func commandError(err error) (string, bool) {
	switch {
	case errors.Is(err, storage.ErrWrongType):
		return errWrongType, true
	case errors.Is(err, storage.ErrNotInteger):
		return errNotInteger, true
	case errors.Is(err, storage.ErrNotFloat):
		return errNotFloat, true
	case errors.Is(err, storage.ErrOverflow):
		return errOverflow, true
	case errors.Is(err, storage.ErrNaN):
		return errNaN, true
	case errors.Is(err, storage.ErrNoSuchKey):
		return errNoSuchKey, true
	case errors.Is(err, storage.ErrOutOfRange):
		return errOutOfRange, true
	case errors.Is(err, storage.ErrTooLarge):
		return errTooLarge, true
	case errors.Is(err, storage.ErrReadOnlyTx):
		return errReadOnlyDB0, true
	}
	return "", false
}

// failureReply is what a client sees when its transaction failed as a whole.
func failureReply(err error) string {
	switch {
	case errors.Is(err, errWriteDB0):
		return errReadOnlyDB0
	case errors.Is(err, storage.ErrDBFull):
		return errDBFull
	case errors.Is(err, storage.ErrCorrupt):
		var ce *storage.CorruptError
		if errors.As(err, &ce) {
			return fmt.Sprintf("ERR data corruption detected in database %d; see the server log", ce.DB)
		}
		return errCorrupt
	case errors.Is(err, syscall.ENOSPC):
		return errDiskFull
	case errors.Is(err, storage.ErrUnflushed):
		return errUnflushed
	case errors.Is(err, storage.ErrMissingFile):
		return errMissingFile
	case admin.ErrorCode(err) != admin.EINTERNAL:
		return errAdmin(err)
	}
	return errInternal
}

// The sorted set commands' error replies, in Redis 7.0's words.
const (
	errZAddNXXX      = "ERR XX and NX options at the same time are not compatible"
	errZAddGTLTNX    = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZAddIncrPair  = "ERR INCR option supports a single increment-element pair"
	errZNaN          = "ERR resulting score is not a number (NaN)"
	errZMinMaxFloat  = "ERR min or max is not a float"
	errZMinMaxLex    = "ERR min or max not valid string range item"
	errZLimitRank    = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZLexScores    = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errZWeight       = "ERR weight value is not a float"
	errZRandTooLarge = "ERR ZRANDMEMBER count is too large: the reply would exceed the output limit" // herodb's
)

func errZNumKeys(cmd string) string {
	return fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", cmd)
}

// Replies of CONFIG SET, in Redis 7.0's words.
const (
	errConfigImmutable = "can't set immutable config"
	errConfigDuplicate = "duplicate parameter"
	errConfigSave      = "herodb keeps every write in its write-ahead log; it takes no RDB snapshots (save is always \"\")"
	errConfigAOF       = "herodb's write-ahead log is always on (herodb serve --sync); appendonly is always no"
	errConfigNotify    = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
)

func errConfigUnknown(name []byte) string {
	return "ERR Unknown option or number of arguments for CONFIG SET - '" + string(name) + "'"
}

func errConfigFailed(name []byte, why string) string {
	return "ERR CONFIG SET failed (possibly related to argument '" + string(name) + "') - " + why
}

// Reply texts of the blocking commands.
const (
	errTimeoutNegative = "ERR timeout is negative"
	errTimeoutNotFloat = "ERR timeout is not a float or out of range"
	errCountPositive   = "ERR count should be greater than 0" // LMPOP, BLMPOP
	errUnblockReason   = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
	errUnblocked       = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
	errShuttingDown    = "ERR herodb is shutting down"
)

// errSubscribedOnly is Redis 7.0's refusal of a command in RESP2 subscriber mode.
func errSubscribedOnly(name string) string {
	return "ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

// errPubsubArgs is Redis's reply to PUBSUB CHANNELS with too many arguments; it echoes
// the subcommand as given.
func errPubsubArgs(sub []byte) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + clip(sub) + "'. Try PUBSUB HELP."
}

// Replies of scripting (EVAL, SCRIPT and redis.* inside a script), in Redis 7.0's
// words where Redis has them.
const (
	errNoScript          = "NOSCRIPT No matching script. Please use EVAL."
	errBusyScript        = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errNotBusy           = "NOTBUSY No scripts in execution right now."
	errUnkillable        = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	errScriptKilled      = "ERR Script killed by user with SCRIPT KILL..."
	errScriptNumKeys     = "ERR Number of keys can't be greater than number of args"
	errScriptNumKeysNeg  = "ERR Number of keys can't be negative"
	errScriptFlushArgs   = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	errScriptROFlags     = "ERR Can not execute a script with write flag using *_ro command."
	errScriptROWrite     = "ERR Write commands are not allowed from read-only scripts."
	errScriptUnknown     = "ERR Unknown Redis command called from script"
	errScriptArity       = "ERR Wrong number of args calling Redis command from script"
	errScriptNotAllowed  = "ERR This Redis command is not allowed from script"
	errScriptNoArgs      = "ERR Please specify at least one argument for this redis lib call"
	errScriptArgType     = "ERR Lua redis lib command arguments must be strings or integers"
	errScriptStack       = "ERR reached lua stack limit"
	errScriptSha1Args    = "ERR wrong number of arguments"
	errScriptReplyArgs   = "ERR wrong number or type of arguments"
	errScriptLogArgs     = "ERR redis.log() requires two arguments or more."
	errScriptLogLevel    = "ERR First argument must be a number (log level)."
	errScriptLogBadLevel = "ERR Invalid debug level."
	errScriptSetRespArgs = "ERR redis.setresp() requires one argument."
	errScriptSetRespVer  = "ERR RESP version must be 2 or 3."
	errScriptSetReplArgs = "ERR redis.set_repl() requires two arguments."
	errScriptSetReplFlag = "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
	errShebangInvalid    = "ERR Invalid script shebang"
	errShebangEngine     = "ERR Invalid engine in script shebang"
	// herodb's bounds, raised as Lua errors (so the reply adds where, as for any).
	errScriptStringTooLong     = "string longer than 64 MiB (herodb's bound on a string a library function builds)"
	errScriptBuiltTooMuch      = "more than 256 MiB built by library functions in one run (herodb's bound)"
	errScriptPatternTooComplex = "pattern too complex (over 10 million matching steps, or 200 levels of recursion, in one match: herodb's bound)"
	errScriptMemory            = "ERR script stopped: the server's memory grew past herodb's bound for one script"
)

func errShebangUnexpected(engine string) string {
	return "ERR Unexpected engine in script shebang: " + engine
}
func errShebangOption(opt string) string { return "ERR Unknown lua shebang option: " + opt }
func errShebangFlag(flag string) string  { return "ERR Unexpected flag in script shebang: " + flag }

// errScriptCompile is the reply to a script that does not compile.
func errScriptCompile(msg string) string { return "ERR Error compiling script (new function): " + msg }

// DUMP and RESTORE (cmd_dump.go), in Redis's words.
const (
	errDumpPayload   = "ERR DUMP payload version or checksum are wrong"
	errBadDataFormat = "ERR Bad data format"
	errBusyKey       = "BUSYKEY Target key name already exists."
	errRestoreTTL    = "ERR Invalid TTL value, must be >= 0"
	errRestoreIdle   = "ERR Invalid IDLETIME value, must be >= 0"
	errRestoreFreq   = "ERR Invalid FREQ value, must be >= 0 and <= 255"
)

// errDumpTooLarge is herodb's: a payload whose value decodes past the decode limit (the
// largest argument), refused before the memory is taken.
func errDumpTooLarge(limit int) string {
	return fmt.Sprintf("ERR Bad data format: the value decodes to more than %d bytes (herodb's limit)", limit)
}

// Streams (cmd_stream.go), in Redis 7.0's words.
const (
	errStreamID          = "ERR Invalid stream ID specified as stream command argument"
	errStreamIDSmall     = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errStreamIDZero      = "ERR The ID specified in XADD must be greater than 0-0"
	errStreamExhausted   = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errStreamBothTrims   = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errStreamMaxLen      = "ERR The MAXLEN argument must be >= 0."
	errStreamLimit       = "ERR The LIMIT argument must be >= 0."
	errStreamLimitAlone  = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errStreamNoStrategy  = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errStreamLimitExact  = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errStreamStart       = "ERR invalid start ID for the interval"
	errStreamEnd         = "ERR invalid end ID for the interval"
	errStreamUnbalanced  = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	errStreamGroupOpt    = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	errStreamNoAckOpt    = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	errStreamNoGroupOpt  = "ERR Missing GROUP option for XREADGROUP"
	errStreamDollarGroup = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	errStreamGTNoGroup   = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	errStreamTimeoutInt  = "ERR timeout is not an integer or out of range"
	errStreamTimeoutFar  = "ERR timeout is out of range"
	errStreamEntriesRead = "ERR value for ENTRIESREAD must be positive or -1"
	errStreamKeyNeeded   = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errStreamBusyGroup   = "BUSYGROUP Consumer Group name already exists"
	errStreamAddedNeg    = "ERR entries_added must be positive"
	errStreamSetIDMaxDel = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	errStreamSetIDSmall  = "ERR The ID specified in XSETID is smaller than the target stream top item"
	errStreamSetIDAdded  = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	errXClaimMinIdle     = "ERR Invalid min-idle-time argument for XCLAIM"
	errXClaimIdle        = "ERR Invalid IDLE option argument for XCLAIM"
	errXClaimTime        = "ERR Invalid TIME option argument for XCLAIM"
	errXClaimRetry       = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	errXAutoMinIdle      = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
	errXAutoCount        = "ERR COUNT must be > 0"
)

// errNoGroup is NOGROUP for a key or group that is missing; where names the command's
// words after them, as Redis's texts differ (" in XREADGROUP with GROUP option").
func errNoGroup(key, group []byte, where string) string {
	return "NOGROUP No such key '" + clipN(key, len(key)) + "' or consumer group '" + clipN(group, len(group)) + "'" + where
}

// errNoGroupFor is XGROUP's and XINFO's NOGROUP, which names the group first.
func errNoGroupFor(group, key []byte) string {
	return "NOGROUP No such consumer group '" + clipN(group, len(group)) + "' for key name '" + clipN(key, len(key)) + "'"
}

func errXClaimOption(opt []byte) string {
	return "ERR Unrecognized XCLAIM option '" + clipN(opt, len(opt)) + "'"
}

// errSubSyntax is Redis's reply to a subcommand with options it does not take.
func errSubSyntax(cmd string, sub []byte) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + clip(sub) + "'. Try " + cmd + " HELP."
}
