package adder

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protowire"
)

// codecName is the codec's content subtype: the client asks for it with
// each call, and the server finds it among the registered codecs. The
// services go-plugin serves itself keep the default proto codec.
const codecName = "adder"

func init() { encoding.RegisterCodec(codec{}) }

// codec encodes *Args and *Sum as protobuf would. It is stateless and safe
// for concurrent use.
type codec struct{}

func (codec) Name() string { return codecName }

func (codec) Marshal(v any) ([]byte, error) {
	switch m := v.(type) {
	case *Args:
		b := appendInt(nil, 1, m.A)
		return appendInt(b, 2, m.B), nil
	case *Sum:
		return appendInt(nil, 1, m.Value), nil
	}
	return nil, fmt.Errorf("adder: cannot marshal %T", v)
}

func (codec) Unmarshal(data []byte, v any) error {
	var fields []*int
	switch m := v.(type) {
	case *Args:
		*m = Args{}
		fields = []*int{&m.A, &m.B}
	case *Sum:
		*m = Sum{}
		fields = []*int{&m.Value}
	default:
		return fmt.Errorf("adder: cannot unmarshal into %T", v)
	}
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return fmt.Errorf("adder: unmarshal: %w", protowire.ParseError(n))
		}
		data = data[n:]
		if typ == protowire.VarintType && num >= 1 && int(num) <= len(fields) {
			x, n := protowire.ConsumeVarint(data)
			if n < 0 {
				return fmt.Errorf("adder: unmarshal: %w", protowire.ParseError(n))
			}
			*fields[num-1] = int(int64(x))
			data = data[n:]
			continue
		}
		// A field this side does not know, as protobuf would skip it.
		n = protowire.ConsumeFieldValue(num, typ, data)
		if n < 0 {
			return fmt.Errorf("adder: unmarshal: %w", protowire.ParseError(n))
		}
		data = data[n:]
	}
	return nil
}

// appendInt appends field num as an int64, omitted when zero as proto3
// omits it.
func appendInt(b []byte, num protowire.Number, x int) []byte {
	if x == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(int64(x)))
}
