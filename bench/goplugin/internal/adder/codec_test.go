package adder

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCodec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		wire []byte
		out  func() any
	}{
		{"args", &Args{A: 1, B: 2}, []byte{0x08, 0x01, 0x10, 0x02}, func() any { return new(Args) }},
		{"negative", &Args{A: -1}, []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, func() any { return new(Args) }},
		{"zero", &Sum{}, []byte{}, func() any { return new(Sum) }},
		{"sum", &Sum{Value: 300}, []byte{0x08, 0xac, 0x02}, func() any { return new(Sum) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wire, err := codec{}.Marshal(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.wire, append([]byte{}, wire...))
			out := tt.out()
			require.NoError(t, codec{}.Unmarshal(wire, out))
			assert.Equal(t, tt.in, out)
		})
	}
}

func TestCodecSkipsUnknownFields(t *testing.T) {
	t.Parallel()
	// Field 3 (a string, "x") before field 1 (the value 5).
	var sum Sum
	require.NoError(t, codec{}.Unmarshal([]byte{0x1a, 0x01, 'x', 0x08, 0x05}, &sum))
	assert.Equal(t, Sum{Value: 5}, sum)
}

func TestCodecRefuses(t *testing.T) {
	t.Parallel()
	_, err := codec{}.Marshal("not a message")
	assert.Error(t, err)
	assert.Error(t, codec{}.Unmarshal([]byte{0x08}, new(Sum)), "a truncated varint")
	assert.Error(t, codec{}.Unmarshal(nil, new(string)))
}
