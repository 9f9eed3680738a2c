package vtl

import (
	"math"
	"strings"

	"github.com/orderbot/orderbot/local/vtl/parse"
)

// equal is ==: a #define block compares by its rendered text.
func (st *state) equal(a, b any) (bool, error) {
	if d, ok := a.(*defineVal); ok {
		s, err := st.str(d)
		if err != nil {
			return false, err
		}
		a = s
	}
	if d, ok := b.(*defineVal); ok {
		s, err := st.str(d)
		if err != nil {
			return false, err
		}
		b = s
	}
	// On AWS a null reference equals the empty string in == and != (it
	// does not equal any other string). Recorded:
	// common/input_path_formatting/empty-body and nested-null-list take
	// #if($result == "") for a missing path and a JSON null, and
	// kinesis/PutRecords/request takes the #else of #if($foo.bar.stuff != '').
	if a == nil && b == "" || a == "" && b == nil {
		return true, nil
	}
	return valuesEqual(a, b, 0, new(int)), nil
}

// relation is <, <=, > or >=: false when the operands do not compare.
func relation(op parse.Op, l, r any) bool {
	c, ok := compare(l, r)
	if !ok {
		return false
	}
	switch op {
	case parse.OpLt:
		return c < 0
	case parse.OpLe:
		return c <= 0
	case parse.OpGt:
		return c > 0
	}
	return c >= 0
}

func compare(a, b any) (int, bool) {
	if isNumber(a) && isNumber(b) {
		ai, aok := a.(int)
		bi, bok := b.(int)
		if aok && bok {
			switch {
			case ai < bi:
				return -1, true
			case ai > bi:
				return 1, true
			}
			return 0, true
		}
		af, bf := toFloat(a), toFloat(b)
		switch {
		case af < bf:
			return -1, true
		case af > bf:
			return 1, true
		case af == bf:
			return 0, true
		}
		return 0, false
	}
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return strings.Compare(as, bs), true
		}
	}
	return 0, false
}

// arith applies Java arithmetic: integer operands stay integral (truncating
// division), any double makes the result double, division by zero is null
// as in Velocity's MathUtils. Overflowing longs become doubles.
func arith(op parse.Op, l, r any) any {
	if !isNumber(l) || !isNumber(r) {
		return nil
	}
	a, aok := l.(int)
	b, bok := r.(int)
	if aok && bok {
		return intArith(op, a, b)
	}
	x, y := toFloat(l), toFloat(r)
	switch op {
	case parse.OpAdd:
		return x + y
	case parse.OpSub:
		return x - y
	case parse.OpMul:
		return x * y
	case parse.OpDiv:
		if y == 0 {
			return nil
		}
		return x / y
	case parse.OpMod:
		if y == 0 {
			return nil
		}
		return math.Mod(x, y)
	}
	return nil
}

func intArith(op parse.Op, a, b int) any {
	switch op {
	case parse.OpAdd:
		s := a + b
		if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
			return float64(a) + float64(b)
		}
		return s
	case parse.OpSub:
		s := a - b
		if (a >= 0 && b < 0 && s < 0) || (a < 0 && b > 0 && s >= 0) {
			return float64(a) - float64(b)
		}
		return s
	case parse.OpMul:
		if a == 0 || b == 0 {
			return 0
		}
		p := a * b
		if p/b != a || (a == -1 && b == math.MinInt) || (b == -1 && a == math.MinInt) {
			return float64(a) * float64(b)
		}
		return p
	case parse.OpDiv:
		if b == 0 {
			return nil
		}
		if a == math.MinInt && b == -1 {
			return -float64(a)
		}
		return a / b
	case parse.OpMod:
		if b == 0 {
			return nil
		}
		if b == -1 {
			return 0
		}
		return a % b
	}
	return nil
}
