package server

// Inline commands (`SET k v\r\n`, what telnet and `redis-cli` in a pipe send) are split
// here, by the framing guard, with Redis's rules (sdssplitargs), and handed to redcon as
// an ordinary `*<n>` command. redcon's own inline parser allocates a buffer the length of
// the rest of the line for every argument, so a 64 KiB line of one-letter arguments cost
// it about a gigabyte; this splitter is one pass over the line, and its output is the
// size of the line plus a header per argument.

// splitInline splits one inline line (without its line ending) into arguments as Redis
// does: spaces, tabs, CR, LF, VT and FF separate; "double quotes" take \n \r \t \b \a,
// \xHH and \<any> escapes; 'single quotes' take only \'; a closing quote must be followed
// by a separator or the end. It calls arg for each argument, reusing scratch, and stops
// at the first error arg returns.
func splitInline(line []byte, arg func([]byte) error) error {
	var cur []byte
	for i := 0; ; {
		for i < len(line) && isInlineSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return nil
		}
		cur = cur[:0]
		inq, insq := false, false
		for done := false; !done; {
			switch {
			case inq:
				switch {
				case i >= len(line):
					return errUnbalancedQuotes
				case line[i] == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				case line[i] == '\\' && i+1 < len(line):
					i++
					switch c := line[i]; c {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, c)
					}
				case line[i] == '"':
					if i+1 < len(line) && !isInlineSpace(line[i+1]) {
						return errUnbalancedQuotes
					}
					done = true
				default:
					cur = append(cur, line[i])
				}
			case insq:
				switch {
				case i >= len(line):
					return errUnbalancedQuotes
				case line[i] == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case line[i] == '\'':
					if i+1 < len(line) && !isInlineSpace(line[i+1]) {
						return errUnbalancedQuotes
					}
					done = true
				default:
					cur = append(cur, line[i])
				}
			default:
				switch {
				case i >= len(line) || isInlineSpace(line[i]):
					done = true
					continue // the separator is skipped by the outer loop
				case line[i] == '"':
					inq = true
				case line[i] == '\'':
					insq = true
				default:
					cur = append(cur, line[i])
				}
			}
			if i < len(line) {
				i++
			}
		}
		if err := arg(cur); err != nil {
			return err
		}
	}
}

func isInlineSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
