package entrypoints

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Target
	}{
		{"example.com/acme/pollster.NewCPU", Target{"go", "example.com/acme/pollster.NewCPU"}},
		{"go:example.com/acme/pollster.NewCPU", Target{"go", "example.com/acme/pollster.NewCPU"}},
		{"strings.ToUpper", Target{"go", "strings.ToUpper"}},
		{"main.New", Target{"go", "main.New"}},
		{"example.com/acme.(*Store).Open", Target{"go", "example.com/acme.(*Store).Open"}},
		{"example.com/acme.Store.Open", Target{"go", "example.com/acme.Store.Open"}},
		{"gopkg.in/yaml%2ev3.Marshal", Target{"go", "gopkg.in/yaml%2ev3.Marshal"}},
		{"example.com/acme.Ünïcode", Target{"go", "example.com/acme.Ünïcode"}},
		{"exec:bin/gpu-pollster", Target{"exec", "bin/gpu-pollster"}},
		{"exec:bin/tool#convert", Target{"exec", "bin/tool#convert"}},
		{"exec:C:\\plugins\\gpu.exe", Target{"exec", "C:\\plugins\\gpu.exe"}},
		{"so:plugins/gpu.so#New", Target{"so", "plugins/gpu.so#New"}},
		{"grpc+unix:/run/acme.sock", Target{"grpc+unix", "/run/acme.sock"}},
		{"my-scheme.v2:anything goes", Target{"my-scheme.v2", "anything goes"}},
		// Import paths hold letters of either case and digits, the first
		// and last of each included.
		{"github.com/BurntSushi/toml.Decode", Target{"go", "github.com/BurntSushi/toml.Decode"}},
		{"go.uber.org/zap.New", Target{"go", "go.uber.org/zap.New"}},
		{"example.com/az/AZ/09.Zz", Target{"go", "example.com/az/AZ/09.Zz"}},
		{"example.com/-._~+%41/x.New", Target{"go", "example.com/-._~+%41/x.New"}},
		// A scheme starts with a lowercase letter, a to z, and goes on
		// with those, digits, '+', '-' and '.'.
		{"a:x", Target{"a", "x"}},
		{"z:x", Target{"z", "x"}},
		{"az09+-.:x", Target{"az09+-.", "x"}},
		{"za:x", Target{"za", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTarget(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			back, err := ParseTarget(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, back, "String round-trips")
		})
	}
}

func TestParseTargetInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"", `entrypoints: invalid target "": empty target`},
		{" go:x.Y", `entrypoints: invalid target " go:x.Y": leading or trailing space`},
		{"x.Y\n", `entrypoints: invalid target "x.Y\n": leading or trailing space`},
		{"x.Y\x00", `entrypoints: invalid target "x.Y\x00": control character U+0000`},
		{"x.Y\u0080", `entrypoints: invalid target "x.Y\u0080": control character U+0080`},
		{"go:", `entrypoints: invalid target "go:": empty reference after go:`},
		{"Go:x.Y", `entrypoints: invalid target "Go:x.Y": invalid scheme "Go" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
		{"1go:x.Y", `entrypoints: invalid target "1go:x.Y": invalid scheme "1go" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
		{":x.Y", `entrypoints: invalid target ":x.Y": invalid scheme "" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
		{"example.com/acme", `entrypoints: invalid target "example.com/acme": want importpath.Symbol`},
		{"example.com/acme.", `entrypoints: invalid target "example.com/acme.": want importpath.Symbol`},
		{".New", `entrypoints: invalid target ".New": want importpath.Symbol`},
		{"example.com//acme.New", `entrypoints: invalid target "example.com//acme.New": invalid import path "example.com//acme"`},
		{"example.com/ac me.New", `entrypoints: invalid target "example.com/ac me.New": invalid import path "example.com/ac me"`},
		{"example.com/acme.New()", `entrypoints: invalid target "example.com/acme.New()": invalid symbol "New()" (want Name, Type.Method or (*Type).Method)`},
		{"example.com/acme.1New", `entrypoints: invalid target "example.com/acme.1New": invalid symbol "1New" (want Name, Type.Method or (*Type).Method)`},
		{"example.com/acme.(*T)", `entrypoints: invalid target "example.com/acme.(*T)": invalid symbol "(*T)" (want Name, Type.Method or (*Type).Method)`},
		{"so:plugins/gpu.so", `entrypoints: invalid target "so:plugins/gpu.so": want so:path#Symbol`},
		{"so:#New", `entrypoints: invalid target "so:#New": want so:path#Symbol`},
		{"exec:#name", `entrypoints: invalid target "exec:#name": want exec:path[#name]`},
		{"x.Y\xff", `entrypoints: invalid target "x.Y\xff": invalid UTF-8`},
		{"\x01example.com/a.B", `entrypoints: invalid target "\x01example.com/a.B": control character U+0001`},
		{"example.com/.New", `entrypoints: invalid target "example.com/.New": invalid import path "example.com/"`},
		// The characters just outside the ranges of letters and digits.
		{"example.com/a@b.New", `entrypoints: invalid target "example.com/a@b.New": invalid import path "example.com/a@b"`},
		{"example.com/a[b.New", `entrypoints: invalid target "example.com/a[b.New": invalid import path "example.com/a[b"`},
		{"example.com/a`b.New", "entrypoints: invalid target \"example.com/a`b.New\": invalid import path \"example.com/a`b\""},
		{"example.com/a{b.New", `entrypoints: invalid target "example.com/a{b.New": invalid import path "example.com/a{b"`},
		{"gO:x", `entrypoints: invalid target "gO:x": invalid scheme "gO" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
		{"A:x", `entrypoints: invalid target "A:x": invalid scheme "A" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
		{"Z:x", `entrypoints: invalid target "Z:x": invalid scheme "Z" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
		{"`a:x", "entrypoints: invalid target \"`a:x\": invalid scheme \"`a\" (want a lowercase letter, then letters, digits, '+', '-' or '.')"},
		{"{a:x", `entrypoints: invalid target "{a:x": invalid scheme "{a" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
		{"a`:x", "entrypoints: invalid target \"a`:x\": invalid scheme \"a`\" (want a lowercase letter, then letters, digits, '+', '-' or '.')"},
		{"a{:x", `entrypoints: invalid target "a{:x": invalid scheme "a{" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
		{"a/:x", `entrypoints: invalid target "a/:x": invalid scheme "a/" (want a lowercase letter, then letters, digits, '+', '-' or '.')`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTarget(tt.in)
			require.ErrorIs(t, err, ErrMalformed)
			assert.Equal(t, tt.want, err.Error())
			assert.Equal(t, Target{}, got)
		})
	}
}

func TestTargetString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", Target{}.String())
	assert.Equal(t, "go:example.com/x.New", Target{"go", "example.com/x.New"}.String())
}

// FuzzParseTarget checks that ParseTarget never panics, that its errors
// match ErrMalformed, and that every target it accepts round-trips through
// String, spelled as given when the input names its scheme.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"example.com/acme/pollster.NewCPU", "go:strings.ToUpper", "exec:bin/x#y",
		"so:p.so#S", "a+b:c", "example.com/x.(*T).M", ":", "go:", "Go:x", "x.y\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTarget(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if got.Scheme == "" || got.Ref == "" {
			t.Fatalf("%q parsed to an incomplete target %+v", s, got)
		}
		back, err := ParseTarget(got.String())
		if err != nil || back != got {
			t.Fatalf("%q: %+v does not round-trip: %+v, %v", s, got, back, err)
		}
		if strings.HasPrefix(s, got.Scheme+":") && got.String() != s {
			t.Fatalf("%q prints as %q", s, got.String())
		}
	})
}
