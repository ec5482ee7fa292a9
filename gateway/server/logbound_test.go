package server

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

type bigStringer struct{ n int }

func (b bigStringer) String() string { return strings.Repeat("s", b.n) }

func TestBoundLog(t *testing.T) {
	const max = 256
	var buf bytes.Buffer
	log := slog.New(BoundLog(slog.NewJSONHandler(&buf, nil), max))
	huge := strings.Repeat("p", 1<<20)

	t.Run("every kind of value is cut", func(t *testing.T) {
		buf.Reset()
		log.With("fixed", huge).WithGroup("g").Info(huge, "path", huge, "err", errors.New(huge), "stringer", bigStringer{1 << 20},
			"bytes", []byte(huge), "any", []string{huge}, "group", slog.GroupValue(slog.String("inner", huge)), "n", 42)
		line := buf.String()
		if len(line) > 10*(max+64) {
			t.Fatalf("line of %d bytes", len(line))
		}
		for _, want := range []string{`"n":42`, "bytes cut]", strings.Repeat("p", max-10)} {
			if !strings.Contains(line, want) {
				t.Fatalf("line lacks %q: %s", want, line)
			}
		}
	})
	t.Run("small values are untouched", func(t *testing.T) {
		buf.Reset()
		log.Info("http request", "route", "GET /v1/whoami", "status", 200, "any", []string{"a", "b"})
		line := buf.String()
		if !strings.Contains(line, `"route":"GET /v1/whoami"`) || !strings.Contains(line, `"any":["a","b"]`) || strings.Contains(line, "cut]") {
			t.Fatalf("line changed: %s", line)
		}
	})
	t.Run("attributes beyond the bound are counted, not written", func(t *testing.T) {
		buf.Reset()
		var args []any
		for i := range 1000 {
			args = append(args, slog.Int(strings.Repeat("k", 3)+string(rune('a'+i%26)), i))
		}
		log.Info("many", args...)
		if !strings.Contains(buf.String(), `"attrsDropped":936`) || len(buf.String()) > 64*32 {
			t.Fatalf("line of %d bytes: %.300s", buf.Len(), buf.String())
		}
	})
	t.Run("cut at a character boundary", func(t *testing.T) {
		s := cutString(strings.Repeat("元", 100), 10)
		if !utf8.ValidString(s) || !strings.HasPrefix(s, "元元元…") {
			t.Fatalf("%q", s)
		}
	})
}
