package server

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// Bounds of one log record under BoundLog.
const (
	// DefaultMaxLogValueBytes bounds the message and each value of a log
	// record: enough for a panic's top frames, far below what a client can
	// send (a 64 KiB header, a 1 MiB body).
	DefaultMaxLogValueBytes = 4 << 10
	// maxLogAttrs bounds the attributes of one record (groups count their
	// members); the rest are counted in "attrsDropped".
	maxLogAttrs = 64
)

// BoundLog wraps h so that every record it writes is bounded, whatever a
// caller passes it: the message and every string-like value (strings,
// errors, Stringers, byte slices, and other values once formatted) are cut
// to maxValue bytes at a UTF-8 boundary, with the number of bytes cut
// appended, and a record keeps at most 64 attributes. The gateway's process
// logger goes through it, so no client-controlled string (a path, a header,
// a chaincode message quoting an ID) can make a log line large; the HTTP
// server's own error log is built on the same handler.
func BoundLog(h slog.Handler, maxValue int) slog.Handler {
	if maxValue <= 0 {
		maxValue = DefaultMaxLogValueBytes
	}
	return boundHandler{h: h, max: maxValue}
}

type boundHandler struct {
	h   slog.Handler
	max int
}

func (b boundHandler) Enabled(ctx context.Context, l slog.Level) bool { return b.h.Enabled(ctx, l) }

func (b boundHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, cutString(r.Message, b.max), r.PC)
	budget, dropped := maxLogAttrs, 0
	r.Attrs(func(a slog.Attr) bool {
		if budget <= 0 {
			dropped++
			return true
		}
		out.AddAttrs(b.attr(a, &budget))
		return true
	})
	if dropped > 0 {
		out.AddAttrs(slog.Int("attrsDropped", dropped))
	}
	return b.h.Handle(ctx, out)
}

func (b boundHandler) WithAttrs(as []slog.Attr) slog.Handler {
	budget := maxLogAttrs
	bounded := make([]slog.Attr, 0, len(as))
	for _, a := range as {
		if budget <= 0 {
			break
		}
		bounded = append(bounded, b.attr(a, &budget))
	}
	return boundHandler{h: b.h.WithAttrs(bounded), max: b.max}
}

func (b boundHandler) WithGroup(name string) slog.Handler {
	return boundHandler{h: b.h.WithGroup(cutString(name, 64)), max: b.max}
}

// attr bounds one attribute, spending budget for it and its members.
func (b boundHandler) attr(a slog.Attr, budget *int) slog.Attr {
	*budget--
	a.Key = cutString(a.Key, 64)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, cutString(v.String(), b.max))
	case slog.KindGroup:
		members := make([]slog.Attr, 0, len(v.Group()))
		for _, m := range v.Group() {
			if *budget <= 0 {
				break
			}
			members = append(members, b.attr(m, budget))
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(members...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, cutString(x.Error(), b.max))
		case fmt.Stringer:
			return slog.String(a.Key, cutString(x.String(), b.max))
		case []byte:
			return slog.String(a.Key, cutString(string(x), b.max))
		default:
			if s := fmt.Sprint(x); len(s) > b.max {
				return slog.String(a.Key, cutString(s, b.max))
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// cutString returns s cut to at most max bytes (at a UTF-8 boundary), with
// the number of bytes left out appended.
func cutString(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…[" + strconv.Itoa(len(s)-n) + " bytes cut]"
}
